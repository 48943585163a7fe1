//! Handles and @mentions. Every user has a handle: unique, lowercase, taken from the
//! e-mail's local part at creation (a number added on a clash) unless one is given, and
//! editable in Profile. `@handle` in a comment or a description mentions that user when
//! the user can see the task; any other `@word` stays plain text.

use super::Workspace;
use crate::access::Actor;
use crate::error::{Error, Result};
use crate::model::{TeamId, User, UserId};

/// The longest handle.
pub const MAX_HANDLE: usize = 32;

fn handle_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
}

/// A handle as typed (an `@` before it is allowed), lowercased and checked.
pub fn check_handle(raw: &str) -> Result<String> {
    let handle = raw.trim().trim_start_matches('@').to_ascii_lowercase();
    let bad = |why: &str| Error::Invalid(format!("handle \"{}\" not valid: {why}", raw.trim()));
    if handle.is_empty() {
        return Err(bad("it is empty"));
    }
    if handle.chars().count() > MAX_HANDLE {
        return Err(bad(&format!("at most {MAX_HANDLE} characters")));
    }
    if !handle.chars().all(handle_char) {
        return Err(bad("use letters a-z, digits, '.', '_' and '-'"));
    }
    if !handle.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !handle.ends_with(|c: char| c.is_ascii_alphanumeric())
    {
        return Err(bad("it must start and end with a letter or digit"));
    }
    Ok(handle)
}

/// The handle an e-mail address suggests: its local part, lowercased, any other character
/// made a '-', cut to leave room for a number.
pub fn handle_from_email(email: &str) -> String {
    let local = email
        .split('@')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let handle: String = local
        .chars()
        .map(|c| if handle_char(c) { c } else { '-' })
        .take(MAX_HANDLE - 4)
        .collect();
    let handle = handle.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    if handle.is_empty() {
        "user".into()
    } else {
        handle.into()
    }
}

/// Where a mention is in a text: byte range of `@handle` and the handle, lowercased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    pub start: usize,
    pub end: usize,
    pub handle: String,
}

/// Every `@handle` in `text`. An `@` inside a word (an e-mail address, `a@b`) is not one;
/// the punctuation that ends a sentence ("@dee.") is not part of the handle.
pub fn find_mentions(text: &str) -> Vec<Mention> {
    let mut found = Vec::new();
    let mut previous: Option<char> = None;
    for (at, c) in text.char_indices() {
        let starts = c == '@'
            && previous
                .is_none_or(|p| !(p.is_alphanumeric() || matches!(p, '.' | '_' | '-' | '@' | '/')));
        previous = Some(c);
        if !starts {
            continue;
        }
        let rest = &text[at + 1..];
        let len = rest
            .char_indices()
            .find(|(_, c)| !handle_char(c.to_ascii_lowercase()))
            .map_or(rest.len(), |(i, _)| i);
        let word = rest[..len].trim_end_matches(['.', '_', '-']);
        if word.is_empty()
            || word.len() > MAX_HANDLE
            || !word.starts_with(|c: char| c.is_ascii_alphanumeric())
        {
            continue;
        }
        found.push(Mention {
            start: at,
            end: at + 1 + word.len(),
            handle: word.to_ascii_lowercase(),
        });
    }
    found
}

impl Workspace {
    /// `handle`, checked and free, or else one made from the e-mail with a number added
    /// until free.
    pub(super) async fn new_user_handle(
        &self,
        email: &str,
        handle: Option<&str>,
    ) -> Result<String> {
        if let Some(given) = handle {
            let handle = check_handle(given)?;
            if self.store.user_by_handle(&handle).await?.is_some() {
                return Err(Error::Invalid(format!("the handle @{handle} is taken")));
            }
            return Ok(handle);
        }
        let base = handle_from_email(email);
        if self.store.user_by_handle(&base).await?.is_none() {
            return Ok(base);
        }
        for n in 2..1000 {
            let candidate = format!("{base}{n}");
            if self.store.user_by_handle(&candidate).await?.is_none() {
                return Ok(candidate);
            }
        }
        Err(Error::Invalid(format!(
            "no free handle for {email}; give one with --handle"
        )))
    }

    /// Changes the actor's own handle. Mentions written before keep their text.
    pub async fn set_handle(&self, actor: &Actor, handle: &str) -> Result<String> {
        let handle = check_handle(handle)?;
        if handle == actor.user().handle {
            return Ok(handle);
        }
        match self.store.user_by_handle(&handle).await? {
            Some(other) if other.id != actor.id() => {
                Err(Error::Invalid(format!("the handle @{handle} is taken")))
            }
            _ => {
                self.store.set_user_handle(actor.id(), &handle).await?;
                Ok(handle)
            }
        }
    }

    /// The people who can be mentioned on a task of `team` (its members), for completion
    /// and for showing mentions as links; nothing for a team the actor is not in.
    pub async fn mentionable(&self, actor: &Actor, team: TeamId) -> Result<Vec<User>> {
        if !actor.can_see_team(team) {
            return Ok(Vec::new());
        }
        let mut members: Vec<User> = self
            .store
            .team_members(team)
            .await?
            .into_iter()
            .map(|(u, _)| u)
            .collect();
        members.sort_by(|a, b| a.handle.cmp(&b.handle));
        Ok(members)
    }

    /// The members of `team` that `text` mentions and `before` (the text it replaces) did
    /// not: a mention of anyone else, or a handle nobody has, mentions nobody.
    pub(super) async fn newly_mentioned(
        &self,
        team: TeamId,
        text: &str,
        before: &str,
    ) -> Result<Vec<UserId>> {
        let old: Vec<String> = find_mentions(before)
            .into_iter()
            .map(|m| m.handle)
            .collect();
        let mut handles: Vec<String> = find_mentions(text)
            .into_iter()
            .map(|m| m.handle)
            .filter(|h| !old.contains(h))
            .collect();
        handles.sort();
        handles.dedup();
        if handles.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self
            .store
            .team_members(team)
            .await?
            .into_iter()
            .filter(|(u, _)| handles.contains(&u.handle))
            .map(|(u, _)| u.id)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handles(text: &str) -> Vec<String> {
        find_mentions(text).into_iter().map(|m| m.handle).collect()
    }

    #[test]
    fn mentions_are_words_after_an_at_sign_not_inside_addresses() {
        assert_eq!(handles("@dee look, and @Bob."), ["dee", "bob"]);
        assert_eq!(
            handles("mail dee@orgn.test or see a/@x"),
            Vec::<String>::new()
        );
        assert_eq!(handles("(@al-x_1) @ @-no"), ["al-x_1"]);
        let m = &find_mentions("hi @dee.")[0];
        assert_eq!((m.start, m.end), (3, 7));
    }

    #[test]
    fn handles_are_checked_and_made_from_emails() {
        assert_eq!(check_handle(" @Dee.K ").unwrap(), "dee.k");
        assert!(check_handle("dee k").is_err());
        assert!(check_handle("-dee").is_err());
        assert!(check_handle("").is_err());
        assert_eq!(handle_from_email("Dee.K+test@orgn.test"), "dee.k-test");
        assert_eq!(handle_from_email("+@x"), "user");
    }
}
