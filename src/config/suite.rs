//! Suite files: TOML with `${VAR}` taken from the environment and env files.

use super::{build_entry, Config, ConfigError, Origin, RawSettings, ReportMeta, Setting};
use crate::checks;
use crate::env::{Env, VarSource};
use crate::secret::Redactor;
use indexmap::IndexMap;
use serde::Deserialize;
use std::path::Path;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuite {
    report: Option<RawReport>,
    #[serde(default)]
    checks: IndexMap<String, Spanned<IndexMap<String, Spanned<toml::Value>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReport {
    id: Option<Spanned<String>>,
    title: Option<Spanned<String>>,
}

pub fn load(path: &Path, env: &Env) -> Result<Config, ConfigError> {
    let text = crate::input::read_text(path).map_err(|error| ConfigError::Read { path: path.into(), error })?;
    parse(path, &text, env)
}

pub fn parse(path: &Path, text: &str, env: &Env) -> Result<Config, ConfigError> {
    let suite: RawSuite = toml::from_str(text)
        .map_err(|e| ConfigError::Syntax { path: path.into(), message: syntax_message(text, &e) })?;
    let line_of = |span: std::ops::Range<usize>| text[..span.start.min(text.len())].matches('\n').count() + 1;
    let suite_origin = |line: usize, vars: Vec<(String, Option<VarSource>)>| {
        // Each variable once: a `${VAR}` used twice on a line lost the same values.
        let mut names: Vec<&str> = vars.iter().map(|(name, _)| name.as_str()).collect();
        names.dedup();
        let overridden = names
            .into_iter()
            .filter_map(|name| env.get(name).map(|var| (name, var)))
            .flat_map(|(name, var)| {
                var.overridden.iter().map(move |(source, value)| (name.to_string(), source.clone(), value.clone()))
            })
            .collect();
        Origin::Suite { file: path.to_path_buf(), line, vars, overridden }
    };

    let mut report = ReportMeta::default();
    if let Some(raw) = suite.report {
        for (field, slot, key) in [(raw.id, &mut report.id, "id"), (raw.title, &mut report.title, "title")] {
            if let Some(value) = field {
                let line = line_of(value.span());
                let mut vars = Vec::new();
                let text = interpolate(value.get_ref(), env, &mut vars).map_err(|message| ConfigError::Invalid {
                    at: suite_origin(line, vec![]).location(),
                    key: format!("report.{key}"),
                    message,
                })?;
                *slot = Some(text).filter(|t| !t.is_empty());
            }
        }
    }

    if suite.checks.is_empty() {
        return Err(ConfigError::Invalid {
            at: path.display().to_string(),
            key: "checks".into(),
            message: format!(
                "the suite defines no check; add one, e.g. [checks.db] kind = \"postgres\" (known kinds: {})",
                checks::kind_names()
            ),
        });
    }

    let mut redactor = Redactor::default();
    let mut entries = Vec::with_capacity(suite.checks.len());
    for (name, table) in suite.checks {
        let declared_at = suite_origin(line_of(table.span()), vec![]);
        let section = format!("checks.{name}");
        if !valid_name(&name) {
            return Err(ConfigError::Invalid {
                at: declared_at.location(),
                key: section,
                message: "a check name uses letters, digits, `-`, `_` and `.`, and starts with a letter or digit"
                    .into(),
            });
        }
        let mut raw = RawSettings::new(&section, declared_at);
        let mut kind = None;
        for (key, value) in table.into_inner() {
            let line = line_of(value.span());
            let mut vars = Vec::new();
            let value =
                interpolate_value(value.into_inner(), env, &mut vars).map_err(|message| ConfigError::Invalid {
                    at: suite_origin(line, vec![]).location(),
                    key: format!("{section}.{key}"),
                    message,
                })?;
            if key == "kind" {
                kind = Some(value.as_str().map(str::to_string));
            }
            raw.insert(key, Setting { value, origin: suite_origin(line, vars) });
        }
        let kind = match kind {
            Some(Some(kind)) => kind,
            Some(None) => return Err(raw.error("kind", "expected a string naming the kind")),
            None => return Err(raw.error("kind", format!("missing; set kind to one of: {}", checks::kind_names()))),
        };
        entries.push(build_entry(&name, &kind, raw, &mut redactor)?);
    }
    Ok(Config { source: Some(path.to_path_buf()), report, checks: entries, warnings: redactor.settle(), redactor })
}

/// The parser's message and place, without the offending line it would
/// quote (which may hold a secret) or a string value it names.
fn syntax_message(text: &str, error: &toml::de::Error) -> String {
    let message = without_strings(error.message().trim());
    let Some(start) = error.span().map(|span| span.start.min(text.len())) else { return message };
    let start = (0..=start).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..start].matches('\n').count() + 1;
    let column = text[line_start..start].chars().count() + 1;
    // A duplicate's span is a key, never a value: naming it is safe and helps.
    let key = error.span().and_then(|span| text.get(span)).filter(|key| {
        message.starts_with("duplicate") && key.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
    });
    let message = match key {
        Some(key) => format!("{message} `{key}`"),
        None => message,
    };
    format!("line {line}, column {column}: {message} (the line is not shown: it may hold a secret)")
}

/// serde's `string "value"` in a message becomes `a string`.
fn without_strings(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find("string \"") {
        out.push_str(&rest[..at]);
        out.push_str("a string");
        let body = &rest[at + "string \"".len()..];
        let mut end = body.len();
        let mut escaped = false;
        for (i, c) in body.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => {
                    end = i + 1;
                    break;
                }
                _ => escaped = false,
            }
        }
        rest = &body[end..];
    }
    out.push_str(rest);
    out
}

fn valid_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Interpolates every string inside `value`.
fn interpolate_value(
    value: toml::Value,
    env: &Env,
    vars: &mut Vec<(String, Option<VarSource>)>,
) -> Result<toml::Value, String> {
    Ok(match value {
        toml::Value::String(s) => toml::Value::String(interpolate(&s, env, vars)?),
        toml::Value::Array(items) => {
            toml::Value::Array(items.into_iter().map(|v| interpolate_value(v, env, vars)).collect::<Result<_, _>>()?)
        }
        toml::Value::Table(table) => toml::Value::Table(
            table.into_iter().map(|(k, v)| Ok((k, interpolate_value(v, env, vars)?))).collect::<Result<_, String>>()?,
        ),
        other => other,
    })
}

/// `${VAR}` (must be set), `${VAR:-default}` (default when unset or empty), `$$` for `$`.
/// Records each variable used and where its value came from.
pub fn interpolate(text: &str, env: &Env, vars: &mut Vec<(String, Option<VarSource>)>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        if let Some(after_escape) = after.strip_prefix('$') {
            out.push('$');
            rest = after_escape;
            continue;
        }
        let Some(body_start) = after.strip_prefix('{') else {
            out.push('$');
            rest = after;
            continue;
        };
        let Some(close) = body_start.find('}') else {
            return Err("unterminated `${`: write ${NAME}, or $$ for a literal $".to_string());
        };
        let body = &body_start[..close];
        let (name, default) = match body.split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (body, None),
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("`${{{body}}}` is not a variable reference: names use letters, digits and _"));
        }
        match (env.value(name), default) {
            (Some(value), _) => {
                out.push_str(value);
                vars.push((name.to_string(), env.get(name).map(|v| v.source.clone())));
            }
            (None, Some(default)) => {
                out.push_str(default);
                vars.push((name.to_string(), None));
            }
            (None, None) => {
                return Err(format!(
                    "${{{name}}} is not set; set {name} in the environment or an --env-file, or write ${{{name}:-}} to make it optional"
                ))
            }
        }
        rest = &body_start[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interp(text: &str, env: &Env) -> Result<String, String> {
        interpolate(text, env, &mut Vec::new())
    }

    #[test]
    fn interpolates_set_variables_defaults_and_escapes() {
        let env = Env::from_pairs([("DATABASE_URL", "postgresql://h/db"), ("EMPTY", "")]);
        assert_eq!(interp("${DATABASE_URL}", &env).unwrap(), "postgresql://h/db");
        assert_eq!(interp("a-${MISSING:-dflt}-b", &env).unwrap(), "a-dflt-b");
        assert_eq!(interp("${EMPTY:-x}", &env).unwrap(), "x");
        assert_eq!(interp("${MISSING:-}", &env).unwrap(), "");
        assert_eq!(interp("cost $5 and $$HOME", &env).unwrap(), "cost $5 and $HOME");
    }

    #[test]
    fn unset_variable_is_named() {
        let err = interp("${DATABASE_URL}", &Env::default()).unwrap_err();
        assert!(err.contains("${DATABASE_URL} is not set"), "{err}");
        assert!(interp("${oops", &Env::default()).unwrap_err().contains("unterminated"));
        assert!(interp("${a b}", &Env::default()).unwrap_err().contains("not a variable reference"));
    }

    #[test]
    fn syntax_errors_name_the_place_but_never_quote_the_text() {
        let env = Env::default();
        for text in [
            "[checks.db]\nkind = \"postgres\"\nurl = \"postgresql://u:S3cretValue@h/db\n",
            "[checks.db]\nkind = \"postgres\"\nurl = postgresql://u:S3cretValue@h/db\n",
            "[checks]\ndb = \"S3cretValue\\\"x\"\n",
        ] {
            let err = parse(Path::new("s.toml"), text, &env).err().expect("a syntax error").to_string();
            assert!(!err.contains("S3cret"), "{err}");
            assert!(err.starts_with("s.toml: line "), "{err}");
        }
    }

    #[test]
    fn records_where_each_variable_came_from() {
        let env = Env::from_pairs([("A", "1")]);
        let mut vars = Vec::new();
        interpolate("${A}${B:-2}", &env, &mut vars).unwrap();
        assert_eq!(vars, vec![("A".to_string(), Some(VarSource::Process)), ("B".to_string(), None)]);
    }

    #[test]
    fn a_suite_variable_another_source_set_otherwise_is_shown_by_fingerprint() {
        let mut env = Env::from_pairs([("DB_PASSWORD", "Pr0cess-Secret-1")]);
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, b"DB_PASSWORD=F1le-Secret-2\n").unwrap();
        env.overlay_file(file.path()).unwrap();
        let suite = "[checks.db]\nkind = \"postgres\"\nurl = \"postgresql://app:${DB_PASSWORD}@127.0.0.1:5432/app\"\n";
        let config = parse(Path::new("s.toml"), suite, &env).unwrap();
        let url = config.checks[0].settings.iter().find(|s| s.key == "url").unwrap();
        assert_eq!(url.differs.len(), 1, "{url:?}");
        let (source, shown) = &url.differs[0];
        assert_eq!(source, &VarSource::Process);
        assert!(shown.starts_with("$DB_PASSWORD = ***#"), "{shown}");
        assert!(!format!("{url:?}").contains("Secret-"), "{url:?}");
        let (lost, used) = (config.redactor.redact("Pr0cess-Secret-1"), config.redactor.redact("F1le-Secret-2"));
        assert!(!lost.contains("Secret") && !used.contains("Secret"), "the lost value is a secret too: {lost}, {used}");
    }
}
