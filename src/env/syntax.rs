//! The env-file syntax, as the app's loader reads it: dotenv's entries,
//! with `$` taken literally or expanded ([`Dollar`]). Errors name the line
//! and the key, never the text: a value may be a secret.

use super::Var;
use std::collections::HashMap;
use std::fmt;

/// What an env file's `$` means: the loaders differ.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Dollar {
    /// `$` is a character like any other: Node's dotenv, systemd's
    /// `EnvironmentFile`, `docker --env-file` (and `--env-from-pid`'s
    /// environment, already expanded by whoever started the app).
    #[default]
    Literal,
    /// `$VAR` and `${VAR}` are replaced outside single quotes, from the
    /// environment first, then the file's earlier entries; unset is empty
    /// (docker compose's `env_file`, python-dotenv). `\$` is a literal `$`.
    Expand,
}

/// Why an entry cannot be read. Never its text: a value may be a secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Bad<'a> {
    /// No `KEY=` at the entry's start (a bare value, a key with a space or `-`).
    NotAnEntry,
    /// After `KEY=`: a quote never closed, text after a space or a closing
    /// quote, an unknown backslash escape, `${` never closed.
    Value(&'a str),
}

impl fmt::Display for Bad<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bad::NotAnEntry => f.write_str("cannot parse this line: expected KEY=VALUE"),
            Bad::Value(key) => {
                write!(f, "cannot parse the value of `{key}` (check its quotes, spaces and backslashes)")
            }
        }
    }
}

/// The dotenv syntax: `[export] KEY=value`, a value bare (ending at a blank
/// before an optional `# comment`), in single quotes or backticks (taken
/// as written, over several lines if need be), or in double quotes (where
/// `\n` is a newline and `\"`, `\\`, `\$` escape). A bare value takes the
/// same backslash escapes. Blank lines and `#` lines are skipped.
pub(super) struct Parser<'a> {
    text: &'a str,
    pos: usize,
    /// The line `pos` is on, from 1.
    line: usize,
    dollar: Dollar,
    /// This file's entries so far, for [`Dollar::Expand`].
    earlier: HashMap<String, String>,
}

impl<'a> Parser<'a> {
    pub(super) fn new(text: &'a str, dollar: Dollar) -> Self {
        Parser { text, pos: 0, line: 1, dollar, earlier: HashMap::new() }
    }

    /// Remembers an entry read, for later `${KEY}` in this file.
    pub(super) fn read(&mut self, key: &str, value: &str) {
        self.earlier.insert(key.to_string(), value.to_string());
    }
}

pub(super) type Entry<'a> = Result<(String, String), (usize, Bad<'a>)>;

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn skip_blanks(&mut self) {
        while self.peek().is_some_and(|c| c == ' ' || c == '\t') {
            self.bump();
        }
    }

    /// The rest of the current line is blank or a comment.
    fn at_line_end(&self) -> bool {
        let rest = &self.text[self.pos..];
        let line = &rest[..rest.find('\n').unwrap_or(rest.len())];
        let line = line.trim_start_matches([' ', '\t', '\r']);
        line.is_empty() || line.starts_with('#')
    }

    fn skip_line(&mut self) {
        while let Some(c) = self.bump() {
            if c == '\n' {
                break;
            }
        }
    }

    fn key(&mut self) -> Option<&'a str> {
        let rest = &self.text[self.pos..];
        if !rest.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            return None;
        }
        let len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.')).unwrap_or(rest.len());
        self.pos += len;
        Some(&rest[..len])
    }

    /// The next entry, `None` at the end. `env` is what `$VAR` expands from first.
    pub(super) fn entry(&mut self, env: &HashMap<String, Var>) -> Option<Entry<'a>> {
        loop {
            while self.peek().is_some_and(char::is_whitespace) {
                self.bump();
            }
            match self.peek() {
                None => return None,
                Some('#') => self.skip_line(),
                Some(_) => break,
            }
        }
        let start = self.line;
        let not_an_entry = Some(Err((start, Bad::NotAnEntry)));
        let Some(mut key) = self.key() else { return not_an_entry };
        self.skip_blanks();
        if key == "export" && self.peek() != Some('=') {
            let Some(real) = self.key() else { return not_an_entry };
            key = real;
            self.skip_blanks();
        }
        if self.bump() != Some('=') {
            return not_an_entry;
        }
        self.skip_blanks();
        if self.peek() == Some('#') {
            // `KEY=` then a comment: empty.
            self.skip_line();
            return Some(Ok((key.to_string(), String::new())));
        }
        Some(self.value(env).map(|value| (key.to_string(), value)).map_err(|()| (start, Bad::Value(key))))
    }

    fn value(&mut self, env: &HashMap<String, Var>) -> Result<String, ()> {
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return Ok(out),
                Some('\n') => {
                    self.bump();
                    return Ok(out);
                }
                Some('\r') if self.text[self.pos..].starts_with("\r\n") => {}
                Some(' ' | '\t' | '\r') => {
                    // A blank ends a bare value: only a comment may follow.
                    if !self.at_line_end() {
                        return Err(());
                    }
                    self.skip_line();
                    return Ok(out);
                }
                Some(quote @ ('\'' | '`')) => {
                    self.bump();
                    loop {
                        match self.bump() {
                            None => return Err(()),
                            Some(c) if c == quote => break,
                            Some(c) => out.push(c),
                        }
                    }
                    continue;
                }
                Some('"') => {
                    self.bump();
                    loop {
                        match self.bump() {
                            None => return Err(()),
                            Some('"') => break,
                            Some('\\') => out.push(self.escape()?),
                            Some('$') if self.dollar == Dollar::Expand => self.expand(env, &mut out)?,
                            Some(c) => out.push(c),
                        }
                    }
                    continue;
                }
                Some('\\') => {
                    self.bump();
                    out.push(self.escape()?);
                    continue;
                }
                Some('$') if self.dollar == Dollar::Expand => {
                    self.bump();
                    self.expand(env, &mut out)?;
                    continue;
                }
                Some(c) => {
                    self.bump();
                    out.push(c);
                    continue;
                }
            }
            // `\r\n`: the line ends.
            self.bump();
        }
    }

    /// After a backslash (bare or in double quotes).
    fn escape(&mut self) -> Result<char, ()> {
        match self.bump() {
            Some(c @ ('\\' | '\'' | '"' | '$' | ' ')) => Ok(c),
            Some('n') => Ok('\n'),
            _ => Err(()),
        }
    }

    /// After a `$`: `{NAME}` or `NAME` (letters, digits, `_`) replaced by its
    /// value; a `$` before anything else stays. As in docker compose,
    /// `${NAME:-default}` when unset or empty, `${NAME-default}` when unset.
    fn expand(&mut self, env: &HashMap<String, Var>, out: &mut String) -> Result<(), ()> {
        let rest = &self.text[self.pos..];
        let name = if let Some(braced) = rest.strip_prefix('{') {
            let end = braced.find(['}', '\n']).filter(|&end| braced[end..].starts_with('}')).ok_or(())?;
            self.pos += end + 2;
            let inner = &braced[..end];
            let name_len = inner.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(inner.len());
            let (name, op) = inner.split_at(name_len);
            let value = env.get(name).map(|v| v.value.as_str()).or(self.earlier.get(name).map(String::as_str));
            let value = match (op.strip_prefix(":-"), op.strip_prefix('-')) {
                (Some(default), _) => value.filter(|v| !v.is_empty()).unwrap_or(default),
                (None, Some(default)) => value.unwrap_or(default),
                _ if op.is_empty() => value.unwrap_or_default(),
                // Another form (`${A:?message}`...): not one this reads; nothing.
                _ => "",
            };
            out.push_str(value);
            return Ok(());
        } else {
            let len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
            if len == 0 {
                out.push('$');
                return Ok(());
            }
            self.pos += len;
            &rest[..len]
        };
        let value = env.get(name).map(|v| v.value.as_str()).or(self.earlier.get(name).map(String::as_str));
        out.push_str(value.unwrap_or_default());
        Ok(())
    }
}
