//! Passwords inside connection strings and URLs, found without trusting a
//! naive split: URL userinfo runs from `://` to the *last* `@`, whatever
//! `/ ? # @ %` it holds unencoded; keyword/value strings are tokenized as
//! libpq does, quotes and backslash escapes included.

use crate::conninfo::{self, ConninfoError};
use percent_encoding::percent_decode_str;

/// Calls `replace` with each (decoded) password in `text` and splices in
/// what it returns. Works on the raw text so that an unparsable string is
/// still masked rather than echoed; when in doubt it masks more.
pub fn rewrite_password(text: &str, mut replace: impl FnMut(&str) -> String) -> String {
    if let Some(scheme_end) = text.find("://") {
        let start = scheme_end + 3;
        return format!("{}{}", &text[..start], rewrite_authority(&text[start..], &mut replace));
    }
    if keyword_form(text) {
        return rewrite_keywords(text, replace);
    }
    // `user:password@host` without a scheme: still a userinfo.
    rewrite_authority(text, &mut replace)
}

/// The user of a URL's userinfo (`scheme://user:password@host`), decoded.
pub fn url_user(text: &str) -> Option<String> {
    let rest = &text[text.find("://")? + 3..];
    let userinfo = &rest[..rest.rfind('@')?];
    let user = userinfo.split(':').next().unwrap_or_default();
    Some(percent_decode_str(user).decode_utf8_lossy().into_owned())
}

/// Whether `text` reads as keyword/value pairs (`host=h password=p`).
fn keyword_form(text: &str) -> bool {
    let text = text.trim_start();
    let key_len = text.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(text.len());
    key_len > 0 && text[key_len..].trim_start().starts_with('=')
}

/// `user:password@host/path?query`: the password is between the first `:`
/// and the last `@`; a `password=` query parameter is masked too.
fn rewrite_authority(rest: &str, replace: &mut impl FnMut(&str) -> String) -> String {
    let mut out = String::with_capacity(rest.len());
    let tail = match rest.rfind('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            match userinfo.find(':') {
                Some(colon) => {
                    out.push_str(&userinfo[..=colon]);
                    out.push_str(&replace(&percent_decode_str(&userinfo[colon + 1..]).decode_utf8_lossy()));
                }
                None => out.push_str(userinfo),
            }
            &rest[at..]
        }
        None => rest,
    };
    match tail.find('?') {
        Some(q) => {
            out.push_str(&tail[..=q]);
            let params: Vec<String> = tail[q + 1..]
                .split('&')
                .map(|param| match param.split_once('=') {
                    Some((key, value)) if key.eq_ignore_ascii_case("password") => {
                        let decoded = percent_decode_str(&value.replace('+', " ")).decode_utf8_lossy().into_owned();
                        format!("{key}={}", replace(&decoded))
                    }
                    _ => param.to_string(),
                })
                .collect();
            out.push_str(&params.join("&"));
        }
        None => out.push_str(tail),
    }
    out
}

/// Keyword/value form, tokenized as libpq reads it ([`conninfo`]): each
/// `password` value is replaced. Where libpq would stop (a word without `=`,
/// a quote never closed) everything from the doubtful part on is masked.
fn rewrite_keywords(text: &str, mut replace: impl FnMut(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for param in conninfo::params(text) {
        match param {
            Ok(param) if param.key == "password" => {
                out.push_str(&text[copied..param.raw.start]);
                out.push_str(&replace(&param.value));
                copied = param.raw.end;
            }
            Ok(_) => {}
            Err(ConninfoError::MissingEquals { word }) => {
                // Not key=value: libpq refuses it; show nothing of what follows.
                out.push_str(&text[copied..word.end]);
                let rest = text[word.end..].trim();
                if !rest.is_empty() {
                    out.push_str(&replace(rest));
                }
                return out;
            }
            Err(ConninfoError::Unterminated { quote, .. }) => {
                // Whatever the keyword, the unclosed value may hold a password.
                out.push_str(&text[copied..quote]);
                out.push_str(&replace(&conninfo::unescape(&text[quote + 1..])));
                return out;
            }
        }
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(text: &str) -> String {
        rewrite_password(text, |p| format!("<{p}>"))
    }

    #[test]
    fn url_userinfo_runs_to_the_last_at_whatever_it_holds() {
        assert_eq!(masked("postgresql://u:pa/ss@h/db"), "postgresql://u:<pa/ss>@h/db");
        assert_eq!(masked("postgresql://u:p@ss@h"), "postgresql://u:<p@ss>@h");
        assert_eq!(masked("https://u:p#w?x@h:8200"), "https://u:<p#w?x>@h:8200");
        assert_eq!(masked("https://u:p%2Fw@h"), "https://u:<p/w>@h");
        assert_eq!(masked("u:s3cret@h:8200"), "u:<s3cret>@h:8200");
        assert_eq!(masked("postgresql://u@h/db"), "postgresql://u@h/db");
        assert_eq!(masked("postgres://u@h/db?password=a%20b+c&x=1"), "postgres://u@h/db?password=<a b c>&x=1");
    }

    #[test]
    fn keyword_values_are_tokenized_as_libpq_does() {
        assert_eq!(masked("host=h password=s3cret user=u"), "host=h password=<s3cret> user=u");
        assert_eq!(masked("password = 'it\\'s a secret' user=u"), "password = <it's a secret> user=u");
        assert_eq!(masked("password=abc\\ def host=h"), "password=<abc def> host=h");
        // Another parameter's quoted value does not hide or fake a password.
        assert_eq!(
            masked("application_name='x password=decoy' password=real"),
            "application_name='x password=decoy' password=<real>"
        );
        assert_eq!(masked("options='-c a=b' password='unterminated"), "options='-c a=b' password=<unterminated>");
        assert_eq!(masked("host=h garbage secret"), "host=h garbage<secret>");
        // An unclosed quote hides the rest, whichever keyword opened it.
        assert_eq!(masked("application_name='x password=hunter2"), "application_name=<x password=hunter2>");
    }

    mod unencoded_passwords {
        use super::*;
        use crate::secret::{dsn_password, mask, mask_dsn};
        use crate::test_strategies::config;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(config())]

            /// A password holding `@ $ # : / ?`, `%` and spaces, written into a
            /// URL as is (node-postgres reads up to the last `@`), percent-encoded,
            /// or quoted in keyword form: no masked form shows it, nor its start.
            #[test]
            fn a_password_with_reserved_characters_never_shows(
                password in "[A-Z]{4}[A-Za-z0-9@$#:/?% ]{0,16}",
                host in "[a-z][a-z0-9.]{0,8}",
                form in 0..5u8,
            ) {
                let encoded: String = percent_encoding::utf8_percent_encode(&password, percent_encoding::NON_ALPHANUMERIC)
                    .to_string();
                let dsn = match form {
                    0 => format!("postgresql://u:{password}@{host}:5432/db"),
                    1 => format!("postgres://u:{password}@{host}/db?sslmode=require#frag"),
                    2 => format!("postgresql://u:{encoded}@{host}/db"),
                    3 => format!("u:{password}@{host}"),
                    _ => format!("host={host} user=u password='{password}' dbname=db"),
                };
                for shown in [mask_dsn(&dsn), rewrite_password(&dsn, mask)] {
                    prop_assert!(!shown.contains(&password[..4]), "{:?} -> {:?}", dsn, shown);
                    prop_assert!(!shown.contains(&encoded), "{:?} -> {:?}", dsn, shown);
                }
                // Written raw, a `%` with two hex digits after it reads as an escape.
                if !(password.contains('%') && matches!(form, 0 | 1 | 3)) {
                    let found = dsn_password(&dsn);
                    prop_assert_eq!(found.as_deref(), Some(password.as_str()), "{}", dsn);
                }
            }
        }
    }

    mod libpq_keyword_form {
        use super::*;
        use crate::conninfo;
        use crate::secret::mask;
        use crate::test_strategies::config;
        use proptest::prelude::*;
        use std::collections::BTreeMap;

        /// A value written as libpq reads it back: quoted, or bare with `\`
        /// before each backslash and blank (and before a leading quote).
        fn render(value: &str, quoted: bool) -> String {
            if quoted || value.is_empty() {
                return conninfo::quote(value);
            }
            value.chars().fold(String::new(), |mut out, c| {
                if c == '\\' || conninfo::is_blank(c) || (out.is_empty() && c == '\'') {
                    out.push('\\');
                }
                out.push(c);
                out
            })
        }

        fn any_params() -> impl Strategy<Value = BTreeMap<String, String>> {
            // Other values: lower case; the password: upper case first, so
            // that nothing else in the string can contain it.
            let other = "[a-z0-9 '\\\\=\t]{0,12}";
            let password = "[A-Z]{4}[A-Za-z0-9 '\\\\=\t]{0,12}";
            // libpq's keywords, the password aside: it is drawn apart.
            let keys: Vec<&str> = conninfo::KEYWORDS.iter().copied().filter(|k| *k != "password").collect();
            (prop::collection::btree_map(prop::sample::select(keys), other, 0..6), prop::option::of(password)).prop_map(
                |(params, password)| {
                    let mut params: BTreeMap<String, String> =
                        params.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
                    params.extend(password.map(|p| ("password".to_string(), p)));
                    params
                },
            )
        }

        proptest! {
            #![proptest_config(config())]

            #[test]
            fn rendered_with_libpq_quoting_parses_back_and_masks_the_password(
                params in any_params(),
                styles in prop::collection::vec((any::<bool>(), "[ \t]{0,2}", "[ \t]{0,2}", "[ \t\n]{1,3}"), 8),
                first in 0usize..8,
            ) {
                // Any parameter may come first.
                let mut order: Vec<_> = params.iter().collect();
                let shift = first % order.len().max(1);
                order.rotate_left(shift);
                let text = order
                    .iter()
                    .zip(&styles)
                    .map(|((key, value), (quoted, before, after, sep))| {
                        format!("{key}{before}={after}{}{sep}", render(value, *quoted))
                    })
                    .collect::<String>();
                let parsed: BTreeMap<String, String> = conninfo::parse(&text).unwrap().into_iter().collect();
                prop_assert_eq!(&parsed, &params, "{:?}", text);

                let masked = rewrite_password(&text, mask);
                if let Some(password) = params.get("password") {
                    prop_assert!(!masked.contains(password.as_str()), "{:?}", masked);
                    prop_assert!(!masked.contains(&render(password, true)[1..]), "{:?}", masked);
                    prop_assert!(!masked.contains(&password[..4]), "{:?}", masked);
                }
                // Everything else is left as written: the masked string reads
                // the same, the password replaced by its mask.
                let mut expected = params.clone();
                if let Some(password) = expected.get_mut("password") {
                    *password = mask(password);
                }
                let reread: BTreeMap<String, String> = conninfo::parse(&masked).unwrap().into_iter().collect();
                prop_assert_eq!(reread, expected);
            }
        }
    }
}
