//! libpq's keyword/value connection string (`host=h password='it\'s' dbname=x`),
//! tokenized exactly as `conninfo_parse` in libpq's `fe-connect.c` reads it.
//! The one tokenizer for both readers: the masker (which must find every
//! password) and the PostgreSQL check (which connects with them).
//!
//! libpq's rules, in order:
//! - blanks (C `isspace`: space, `\t`, `\n`, `\v`, `\f`, `\r`) before a
//!   keyword are skipped;
//! - the keyword runs to `=` or a blank; blanks may follow it, then there
//!   must be a `=` (else: "missing `=`");
//! - blanks after `=` are skipped (so `host= port=5` gives `host` the value
//!   `port=5`);
//! - a value starting with `'` runs to the next unescaped `'`, `\` escaping
//!   the next character (else: "unterminated quoted string"); the next
//!   keyword may follow the closing quote at once;
//! - any other value runs to the first unescaped blank, `\` escaping the next
//!   character there too.
//!
//! Errors hold byte ranges, never text: what follows a word without `=` may
//! be the rest of a password.

use std::ops::Range;

/// A blank as libpq's `isspace` sees it (C locale).
pub fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0B' | '\x0C' | '\r')
}

/// One `keyword=value` of a connection string.
#[derive(Clone, PartialEq, Eq)]
pub struct Param<'a> {
    pub key: &'a str,
    /// The value as libpq reads it: quotes removed, escapes applied.
    pub value: String,
    /// Where the value is written, its quotes included.
    pub raw: Range<usize>,
}

impl std::fmt::Debug for Param<'_> {
    // The value may be a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Param").field("key", &self.key).field("raw", &self.raw).finish_non_exhaustive()
    }
}

/// Where a connection string stops making sense to libpq.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConninfoError {
    /// A word not followed by `=` (libpq: missing "=" after "…").
    MissingEquals { word: Range<usize> },
    /// A value opened with `'` and never closed (libpq: unterminated quoted string).
    Unterminated { key: Range<usize>, quote: usize },
}

/// The parameters of `text` in order; after an error, nothing more.
pub fn params(text: &str) -> Params<'_> {
    Params { text, pos: 0, done: false }
}

/// All parameters as (keyword, value) pairs, or the first error.
pub fn parse(text: &str) -> Result<Vec<(String, String)>, ConninfoError> {
    params(text).map(|p| p.map(|p| (p.key.to_string(), p.value))).collect()
}

/// `value` written so that libpq reads it back unchanged: in single quotes,
/// `\` and `'` escaped.
pub fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// `text` with libpq's backslash rule applied (`\x` is `x`; a last lone `\`
/// is dropped): what an unterminated quoted value would have held.
pub fn unescape(text: &str) -> String {
    let mut value = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => value.extend(chars.next()),
            c => value.push(c),
        }
    }
    value
}

pub struct Params<'a> {
    text: &'a str,
    pos: usize,
    done: bool,
}

impl Params<'_> {
    fn skip_blanks(&self, from: usize) -> usize {
        let rest = &self.text[from..];
        from + rest.len() - rest.trim_start_matches(is_blank).len()
    }

    fn fail(&mut self, err: ConninfoError) -> Option<Result<Param<'static>, ConninfoError>> {
        self.done = true;
        Some(Err(err))
    }
}

impl<'a> Iterator for Params<'a> {
    type Item = Result<Param<'a>, ConninfoError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let text = self.text;
        let key_start = self.skip_blanks(self.pos);
        if key_start == text.len() {
            self.done = true;
            return None;
        }
        let key_end = text[key_start..].find(|c: char| c == '=' || is_blank(c)).map_or(text.len(), |i| key_start + i);
        let eq = self.skip_blanks(key_end);
        if !text[eq..].starts_with('=') {
            return self.fail(ConninfoError::MissingEquals { word: key_start..key_end });
        }
        let value_start = self.skip_blanks(eq + 1);
        let mut value = String::new();
        let value_end;
        if text[value_start..].starts_with('\'') {
            let body = value_start + 1;
            let mut chars = text[body..].char_indices();
            loop {
                match chars.next() {
                    None => {
                        let err = ConninfoError::Unterminated { key: key_start..key_end, quote: value_start };
                        return self.fail(err);
                    }
                    Some((_, '\\')) => value.extend(chars.next().map(|(_, c)| c)),
                    Some((i, '\'')) => {
                        value_end = body + i + 1;
                        break;
                    }
                    Some((_, c)) => value.push(c),
                }
            }
        } else {
            let mut chars = text[value_start..].char_indices();
            let mut end = text.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    c if is_blank(c) => {
                        end = value_start + i;
                        break;
                    }
                    '\\' => value.extend(chars.next().map(|(_, c)| c)),
                    c => value.push(c),
                }
            }
            value_end = end;
        }
        self.pos = value_end;
        Some(Ok(Param { key: &text[key_start..key_end], value, raw: value_start..value_end }))
    }
}

/// libpq's connection keywords (`PQconninfoOptions`), `service` aside:
/// what a connection string or a service (`pg_service.conf`) may set.
pub const KEYWORDS: [&str; 38] = [
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "passfile",
    "require_auth",
    "channel_binding",
    "connect_timeout",
    "client_encoding",
    "options",
    "application_name",
    "fallback_application_name",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "replication",
    "sslmode",
    "sslnegotiation",
    "sslcompression",
    "sslcert",
    "sslkey",
    "sslpassword",
    "sslcertmode",
    "sslrootcert",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "requirepeer",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "gssencmode",
    "krbsrvname",
    "target_session_attrs",
    "load_balance_hosts",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(String, String)> {
        parse(text).unwrap()
    }

    fn p(key: &str, value: &str) -> (String, String) {
        (key.to_string(), value.to_string())
    }

    #[test]
    fn blanks_around_the_equals_sign_and_between_pairs() {
        assert_eq!(pairs(" host = h \t port=5\n"), [p("host", "h"), p("port", "5")]);
        assert_eq!(pairs(""), []);
        assert_eq!(pairs(" \r\x0B\x0C "), []);
        // Blanks after `=` are skipped, so an empty value takes the next word.
        assert_eq!(pairs("host= port=5"), [p("host", "port=5")]);
        assert_eq!(pairs("host="), [p("host", "")]);
        assert_eq!(pairs("host=''"), [p("host", "")]);
    }

    #[test]
    fn quoted_values_take_escapes_and_may_touch_the_next_keyword() {
        assert_eq!(pairs(r"password='it\'s a \\ secret'"), [p("password", r"it's a \ secret")]);
        assert_eq!(pairs(r"a='x\y'b=c"), [p("a", "xy"), p("b", "c")]);
        assert_eq!(pairs("a='x = y'"), [p("a", "x = y")]);
    }

    #[test]
    fn bare_values_end_at_a_blank_unless_escaped() {
        assert_eq!(pairs(r"password=a\ b\\c user=u"), [p("password", r"a b\c"), p("user", "u")]);
        assert_eq!(pairs(r"a=x=y'z"), [p("a", "x=y'z")]);
        assert_eq!(pairs(r"a=x\"), [p("a", "x")]);
        // Only C blanks end a value: a non-breaking space is part of it.
        assert_eq!(pairs("a=x\u{a0}y"), [p("a", "x\u{a0}y")]);
    }

    #[test]
    fn errors_are_libpqs_and_hold_no_text() {
        assert_eq!(parse("host=h garbage secret"), Err(ConninfoError::MissingEquals { word: 7..14 }));
        assert_eq!(parse("host"), Err(ConninfoError::MissingEquals { word: 0..4 }));
        assert_eq!(parse("a b=c"), Err(ConninfoError::MissingEquals { word: 0..1 }));
        assert_eq!(parse("x=1 password='abc"), Err(ConninfoError::Unterminated { key: 4..12, quote: 13 }));
        assert_eq!(parse(r"password='abc\'"), Err(ConninfoError::Unterminated { key: 0..8, quote: 9 }));
        let mut it = params("a=1 b c=2");
        assert!(it.next().unwrap().is_ok());
        assert!(it.next().unwrap().is_err());
        assert!(it.next().is_none(), "nothing after an error");
    }

    #[test]
    fn quote_is_read_back_unchanged() {
        for value in ["", "a b", r"it's", r"\", r"\'", "x=y", " '' "] {
            assert_eq!(pairs(&format!("k={}", quote(value))), [p("k", value)]);
        }
        assert_eq!(unescape(r"a\'b\\c\"), r"a'b\c");
    }
}
