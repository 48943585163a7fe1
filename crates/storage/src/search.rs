//! How a text search orders its matches, shared by both backends: in tiers, by where all
//! the words were found, best tier first; newest first within a tier.
//!
//! For tasks the tiers are: the identifier (only when a word has a digit, as in `ENG-12`),
//! then the identifier or title, then anywhere (description, comments); each with whole
//! words, and last, anywhere with every word taken as the start of a word (someone still
//! typing). Each tier leaves out the matches of the tier before it, and since the tiers
//! widen, of every tier before it.
//!
//! Why tiers and not a relevance score (bm25, ts_rank): a score has to be computed for every
//! match before the best page is known, so a common word at a million tasks cost tens of
//! milliseconds per query, whatever the page size. A tier is a set the full-text index
//! streams in id order, so a page costs about the rows it reads. The cursor is the tier and
//! the last id, which new or edited tasks cannot shift.

/// One tier: every word found within the first `columns` indexed columns (all of them when
/// `None`), as a whole word, or as the start of a word when `prefix`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tier {
    pub columns: Option<usize>,
    pub prefix: bool,
}

/// A text query split into words, with its tiers best first.
#[derive(Debug)]
pub(crate) struct Search {
    pub words: Vec<String>,
    pub tiers: Vec<Tier>,
}

/// The words of a query: its alphanumeric runs, lowercased, at most 16. Nothing else gets
/// through, so no query syntax of either engine is ever interpreted.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .map(str::to_lowercase)
        .collect()
}

const WHOLE_WORDS_ANYWHERE: Tier = Tier {
    columns: None,
    prefix: false,
};
const PREFIXES_ANYWHERE: Tier = Tier {
    columns: None,
    prefix: true,
};

/// Tiers of a task search; the index columns are identifier, title, description, comments.
/// `None` when the text has no word to look for.
pub(crate) fn tasks(text: &str) -> Option<Search> {
    let words = words(text);
    if words.is_empty() {
        return None;
    }
    let mut tiers = Vec::with_capacity(4);
    // Only an identifier has digits; a plain word would read the whole of its matches to
    // find none in the identifier column.
    if words.iter().any(|w| w.chars().any(|c| c.is_ascii_digit())) {
        tiers.push(Tier {
            columns: Some(1),
            prefix: false,
        });
    }
    tiers.extend([
        Tier {
            columns: Some(2),
            prefix: false,
        },
        WHOLE_WORDS_ANYWHERE,
        PREFIXES_ANYWHERE,
    ]);
    Some(Search { words, tiers })
}

/// Tiers of a doc search; the index columns are title, content.
pub(crate) fn docs(text: &str) -> Option<Search> {
    let words = words(text);
    if words.is_empty() {
        return None;
    }
    let tiers = vec![
        Tier {
            columns: Some(1),
            prefix: false,
        },
        WHOLE_WORDS_ANYWHERE,
        PREFIXES_ANYWHERE,
    ];
    Some(Search { words, tiers })
}

impl Search {
    /// Where a page starts: the tier of the last item and its id, or the first tier. A
    /// cursor without a tier (a page without text) starts at the first tier.
    pub fn start(&self, after: Option<orgn_domain::cursor::SeekKey>) -> (usize, Option<i64>) {
        match after {
            Some(key) => (key.rank.map_or(0, |r| r.max(0.0) as usize), Some(key.id)),
            None => (0, None),
        }
    }

    /// The engine's match expression of tier `i` minus the tier before it, with `render`
    /// writing one tier in the engine's syntax and `minus` joining the two.
    pub fn tier_expression(
        &self,
        i: usize,
        render: impl Fn(&[String], Tier) -> String,
        minus: &str,
    ) -> String {
        let this = render(&self.words, self.tiers[i]);
        match i.checked_sub(1) {
            Some(previous) => format!(
                "({this}){minus}({})",
                render(&self.words, self.tiers[previous])
            ),
            None => this,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_keep_only_alphanumeric_runs() {
        let search = tasks("\"Billing\" OR * NEAR( ' & | ! :* <-> café").unwrap();
        assert_eq!(search.words, ["billing", "or", "near", "café"]);
        assert!(tasks("&|!():* \"").is_none());
        assert_eq!(words(&"a ".repeat(40)).len(), 16);
    }

    #[test]
    fn only_words_with_digits_look_at_identifiers_first() {
        assert_eq!(
            tasks("ENG-12").unwrap().tiers[0],
            Tier {
                columns: Some(1),
                prefix: false
            }
        );
        assert_eq!(
            tasks("billing").unwrap().tiers[0],
            Tier {
                columns: Some(2),
                prefix: false
            }
        );
        assert_eq!(
            tasks("billing").unwrap().tiers.last(),
            Some(&PREFIXES_ANYWHERE)
        );
    }

    #[test]
    fn each_tier_leaves_out_the_one_before() {
        let search = docs("dark mode").unwrap();
        let render = |words: &[String], tier: Tier| {
            format!("{}{:?}{}", words.join("+"), tier.columns, tier.prefix)
        };
        assert_eq!(
            search.tier_expression(0, render, " NOT "),
            "dark+modeSome(1)false"
        );
        assert_eq!(
            search.tier_expression(2, render, " NOT "),
            "(dark+modeNonetrue) NOT (dark+modeNonefalse)"
        );
    }
}
