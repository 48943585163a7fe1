//! Property tests of cursor decoding: whatever a client sends as a cursor, decoding never
//! panics, and only a cursor of Orgn's own shape is taken.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use proptest::prelude::*;

use super::{SeekKey, decode, encode};

proptest! {
    #[test]
    fn any_text_decodes_or_is_refused_without_panicking(cursor in any::<String>()) {
        let _ = decode(&cursor);
    }

    #[test]
    fn any_bytes_in_base64_decode_or_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = decode(&URL_SAFE_NO_PAD.encode(&bytes));
    }

    /// Orgn's ranks are search tiers, small whole numbers.
    #[test]
    fn every_cursor_orgn_makes_comes_back(id in any::<i64>(), rank in proptest::option::of((0u8..16).prop_map(f64::from))) {
        let key = SeekKey { rank, id };
        prop_assert_eq!(decode(&encode(&key)).unwrap(), key);
    }

    /// A cursor made by someone else (other fields, other types) is refused, not read
    /// partly.
    #[test]
    fn foreign_cursors_are_refused(id in any::<i64>(), field in "[a-z_]{1,12}", value in any::<i64>()) {
        prop_assume!(field != "id" && field != "rank");
        let foreign = serde_json::json!({"id": id, field: value}).to_string();
        prop_assert!(decode(&URL_SAFE_NO_PAD.encode(foreign)).is_err());
        let wrong_type = serde_json::json!({"id": id.to_string()}).to_string();
        prop_assert!(decode(&URL_SAFE_NO_PAD.encode(wrong_type)).is_err());
    }
}
