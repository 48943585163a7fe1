//! Property tests of the CSV importer's reading: whatever the file, reading it never panics,
//! and a file written by a CSV writer (quotes, commas, line breaks, any text in its cells)
//! reads back cell for cell, row for row.

use proptest::prelude::*;

use crate::import::parse;

/// Cell text with what makes CSV hard: quotes, separators, line breaks, non-ASCII.
fn cell() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-zA-Z0-9 ,\"\n\r;é✓\u{0}-]{0,30}").unwrap()
}

proptest! {
    #[test]
    fn any_file_reads_or_is_refused_without_panicking(text in any::<String>()) {
        let _ = parse(&text, None);
        let _ = parse(&format!("Title,Status\n{text}"), None);
    }

    #[test]
    fn a_written_file_reads_back_cell_for_cell(rows in proptest::collection::vec((cell(), cell()), 0..40)) {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(["Title", "Description"]).unwrap();
        for (title, description) in &rows {
            writer.write_record([title, description]).unwrap();
        }
        let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
        let parsed = parse(&text, None).unwrap();
        prop_assert_eq!(parsed.rows.len(), rows.len());
        for (record, (title, description)) in parsed.rows.iter().zip(&rows) {
            prop_assert_eq!(record.get(0), Some(title.as_str()));
            prop_assert_eq!(record.get(1), Some(description.as_str()));
        }
    }
}
