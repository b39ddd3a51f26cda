//! Passwords inside connection strings and URLs, found without trusting a
//! naive split: URL userinfo runs from `://` to the *last* `@`, whatever
//! `/ ? # @ %` it holds unencoded; keyword/value strings are tokenized as
//! libpq does, quotes and backslash escapes included.

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

/// Keyword/value form, tokenized as libpq reads it: `key = value`, a value
/// bare or in single quotes, `\` escaping the next character in both. A
/// string that stops making sense is masked from there on.
fn rewrite_keywords(text: &str, mut replace: impl FnMut(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let trimmed = rest.trim_start();
        out.push_str(&rest[..rest.len() - trimmed.len()]);
        rest = trimmed;
        if rest.is_empty() {
            return out;
        }
        let key_len = rest.find(|c: char| c.is_whitespace() || c == '=').unwrap_or(rest.len());
        let key = &rest[..key_len];
        let after_key = &rest[key_len..];
        let Some(after_eq) = after_key.trim_start().strip_prefix('=') else {
            // Not key=value: libpq refuses it; show nothing of what follows.
            out.push_str(key);
            if !after_key.trim().is_empty() {
                out.push_str(&replace(after_key.trim()));
            }
            return out;
        };
        let value_text = after_eq.trim_start();
        out.push_str(&rest[..rest.len() - value_text.len()]);
        let (value, consumed) = keyword_value(value_text);
        if key == "password" {
            out.push_str(&replace(&value));
        } else {
            out.push_str(&value_text[..consumed]);
        }
        rest = &value_text[consumed..];
    }
}

/// A keyword value, quoted or bare: its unescaped text and the bytes it spans.
fn keyword_value(text: &str) -> (String, usize) {
    let (quoted, body) = match text.strip_prefix('\'') {
        Some(body) => (true, body),
        None => (false, text),
    };
    let mut value = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, escaped)) => value.push(escaped),
                None => return (value, text.len()),
            },
            '\'' if quoted => return (value, i + 2),
            c if !quoted && c.is_whitespace() => return (value, i),
            c => value.push(c),
        }
    }
    (value, text.len())
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
    }
}
