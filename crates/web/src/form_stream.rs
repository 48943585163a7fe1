//! A URL-encoded form decoded as its body arrives, for the one form that carries a large
//! field (the CSV of an import, up to 96 MiB): each value is percent-decoded once, straight
//! from the body's pieces, so that neither the raw body nor an undecoded value is held next
//! to the decoded one. The rules are `application/x-www-form-urlencoded`'s as the
//! `form_urlencoded` crate (behind `serde_urlencoded`) applies them: `+` is a space, a `%`
//! not followed by two hex digits stays as it is, invalid UTF-8 becomes U+FFFD.

use axum::body::Body;
use http_body_util::{BodyExt, Limited};

/// Every field of a form, in order.
pub type Pairs = Vec<(String, String)>;

/// Why a form could not be read.
#[derive(Debug, PartialEq)]
pub enum FormError {
    TooLarge,
    Unreadable,
}

/// Reads and decodes a form body of at most `limit` bytes. The value of the field named
/// `large` gets room for `length` bytes (the body's Content-Length) up front, rather than
/// growing by doubling, which holds a copy and a half of it at each step.
pub async fn read_form(
    body: Body,
    limit: usize,
    (large, length): (&'static str, usize),
) -> Result<Pairs, FormError> {
    let mut body = Limited::new(body, limit);
    let mut decoder = Decoder {
        large: (large.as_bytes(), length.min(limit)),
        ..Decoder::default()
    };
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                FormError::TooLarge
            } else {
                FormError::Unreadable
            }
        })?;
        if let Some(data) = frame.data_ref() {
            decoder.push(data);
        }
    }
    Ok(decoder.finish())
}

#[derive(Default)]
pub struct Decoder {
    pairs: Pairs,
    key: Vec<u8>,
    value: Vec<u8>,
    in_value: bool,
    /// The hex digits seen so far after a `%` (a piece may end between them).
    percent: Option<Vec<u8>>,
    /// The field whose value is reserved room for, and how much.
    large: (&'static [u8], usize),
}

impl Decoder {
    pub fn push(&mut self, piece: &[u8]) {
        for &b in piece {
            if let Some(mut digits) = self.percent.take() {
                digits.push(b);
                if digits.len() < 2 && b.is_ascii_hexdigit() {
                    self.percent = Some(digits);
                    continue;
                }
                self.end_percent(digits);
                if b.is_ascii_hexdigit() {
                    continue;
                }
                // `b` was not a hex digit: it was taken back out and is handled below.
            }
            match b {
                b'&' => self.end_pair(),
                b'=' if !self.in_value => {
                    self.in_value = true;
                    if self.key == self.large.0 {
                        // Once: a repeated key must not reserve the body's size again.
                        self.value.reserve_exact(std::mem::take(&mut self.large.1));
                    }
                }
                b'+' => self.out().push(b' '),
                b'%' => self.percent = Some(Vec::with_capacity(2)),
                _ => self.out().push(b),
            }
        }
    }

    /// Writes an escape out: the byte it names, or the `%` and what followed when that was
    /// not two hex digits (the last of which, not a digit, the caller handles itself).
    fn end_percent(&mut self, digits: Vec<u8>) {
        let hex = |d: u8| (d as char).to_digit(16).map(|v| v as u8);
        match digits.as_slice() {
            [a, b] if hex(*a).is_some() && hex(*b).is_some() => {
                let byte = hex(*a).unwrap_or(0) * 16 + hex(*b).unwrap_or(0);
                self.out().push(byte);
            }
            _ => {
                self.out().push(b'%');
                let kept = digits.iter().take_while(|d| d.is_ascii_hexdigit());
                let kept: Vec<u8> = kept.copied().collect();
                self.out().extend_from_slice(&kept);
            }
        }
    }

    fn out(&mut self) -> &mut Vec<u8> {
        if self.in_value {
            &mut self.value
        } else {
            &mut self.key
        }
    }

    fn end_pair(&mut self) {
        if let Some(digits) = self.percent.take() {
            self.end_percent(digits);
        }
        let key = std::mem::take(&mut self.key);
        let value = std::mem::take(&mut self.value);
        let had_value = std::mem::replace(&mut self.in_value, false);
        if key.is_empty() && !had_value {
            return;
        }
        self.pairs.push((text(key), text(value)));
    }

    pub fn finish(mut self) -> Pairs {
        self.end_pair();
        self.pairs
    }
}

/// The bytes as text, without a copy when they are valid UTF-8.
fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_pieces(body: &[u8], size: usize) -> Pairs {
        let mut d = Decoder::default();
        for piece in body.chunks(size) {
            d.push(piece);
        }
        d.finish()
    }

    /// Whatever the pieces the body comes in, the pairs are those `serde_urlencoded` reads.
    #[test]
    fn decodes_as_serde_urlencoded_does_in_any_pieces() {
        let bodies: [&[u8]; 7] = [
            b"_csrf=abc&team=ENG&csv=Title%2CStatus%0AFix+it%2CTodo",
            b"a=%zz&b=%4&c=%&d=%41%42",
            b"empty=&=v&&k",
            b"csv=caf%C3%A9+%E2%9C%93",
            b"bad=%FF%FE",
            b"x=1%2",
            b"plus=a+b%2Bc",
        ];
        for body in bodies {
            let expected: Pairs = serde_urlencoded::from_bytes(body).unwrap();
            for size in [1, 2, 3, 5, body.len()] {
                assert_eq!(
                    decode_in_pieces(body, size),
                    expected,
                    "{} in pieces of {size}",
                    String::from_utf8_lossy(body)
                );
            }
        }
    }

    /// Room is reserved for the large field once: a body repeating its key (`csv=&csv=…`)
    /// does not reserve the body's size again for each.
    #[test]
    fn the_large_field_is_reserved_room_once() {
        let mut d = Decoder {
            large: (b"csv", 1 << 20),
            ..Decoder::default()
        };
        d.push(&b"csv=&".repeat(1000));
        let held: usize = d.finish().iter().map(|(_, v)| v.capacity()).sum();
        assert!(held < 2 << 20, "{held} bytes held");
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_refused() {
        let body = Body::from("csv=".to_string() + &"a".repeat(100));
        let large = ("csv", 104);
        assert_eq!(read_form(body, 50, large).await, Err(FormError::TooLarge));
        let body = Body::from("csv=abc");
        assert_eq!(
            read_form(body, 50, large).await,
            Ok(vec![("csv".into(), "abc".into())])
        );
    }
}
