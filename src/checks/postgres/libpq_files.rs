//! The files libpq reads beside the connection string, read by libpq's
//! rules (fe-connect.c) because tokio-postgres reads neither: the password
//! file (`~/.pgpass`, `PGPASSFILE`) and the connection service file
//! (`PGSERVICE` in `~/.pg_service.conf`, `PGSERVICEFILE`,
//! `PGSYSCONFDIR/pg_service.conf`). Errors and warnings name the file and
//! line, never a value.

use crate::secret::Secret;
use std::path::{Path, PathBuf};

/// A line of a libpq file that gave a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileLine {
    pub file: PathBuf,
    /// From 1.
    pub line: usize,
}

impl std::fmt::Display for FileLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} line {}", self.file.display(), self.line)
    }
}

/// The password file to read: `passfile` (connection string or service),
/// else `PGPASSFILE`, else `~/.pgpass` (`$HOME`, else the passwd entry, as
/// libpq finds the home directory).
pub fn passfile_path(explicit: Option<&str>) -> Option<PathBuf> {
    match explicit.filter(|p| !p.is_empty()) {
        Some(path) => Some(PathBuf::from(path)),
        None => std::env::home_dir().map(|home| home.join(".pgpass")),
    }
}

/// The password libpq would take from the password file at `path` for this
/// connection: the first line whose host, port, database and user fields
/// match (`*` matches anything). `Ok(None)`: no such file, or no line
/// matches. `Err`: the file is ignored, as libpq ignores it with a warning
/// (not a plain file; readable or writable by group or others).
pub fn password_from_file(
    path: &Path,
    host: &str,
    port: u16,
    dbname: &str,
    user: &str,
) -> Result<Option<(Secret, FileLine)>, String> {
    if dbname.is_empty() || user.is_empty() {
        return Ok(None);
    }
    let Ok(meta) = std::fs::metadata(path) else { return Ok(None) };
    if !meta.is_file() {
        return Err(format!("password file {} is not a plain file: ignored, as libpq ignores it", path.display()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(format!(
                "password file {} has group or world access; permissions should be u=rw (0600) or less: ignored, \
                 as libpq ignores it",
                path.display()
            ));
        }
    }
    let text = crate::input::read_text(path)
        .map_err(|e| format!("password file {}: cannot read it: {e}: ignored", path.display()))?;
    // libpq: `localhost` matches a Unix socket in the default directory too.
    let host = if host.is_empty() || DEFAULT_SOCKET_DIRS.contains(&host) { "localhost" } else { host };
    let port = port.to_string();
    for (number, line) in text.split('\n').enumerate() {
        if line.starts_with('#') {
            continue;
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            continue;
        }
        let rest = [host, port.as_str(), dbname, user]
            .iter()
            .try_fold(line.as_bytes(), |rest, token| field_matches(rest, token.as_bytes()));
        if let Some(rest) = rest {
            let found = FileLine { file: path.to_path_buf(), line: number + 1 };
            return Ok(Some((Secret::new(unescape_password(rest)), found)));
        }
    }
    Ok(None)
}

/// Socket directories libpq builds use as their default (`DEFAULT_PGSOCKET_DIR`).
const DEFAULT_SOCKET_DIRS: [&str; 3] = ["/tmp", "/var/run/postgresql", "/run/postgresql"];

/// libpq's `pwdfMatchesString`: whether the field at the start of `buf`
/// is `*` or equals `token` (`\` escaping the next character), and if so
/// the text after its `:`.
fn field_matches<'a>(buf: &'a [u8], token: &[u8]) -> Option<&'a [u8]> {
    if let Some(rest) = buf.strip_prefix(b"*:") {
        return Some(rest);
    }
    let (mut i, mut t, mut escaped) = (0, 0, false);
    while i < buf.len() {
        if buf[i] == b'\\' && !escaped {
            i += 1;
            escaped = true;
        }
        let c = buf.get(i).copied();
        if c == Some(b':') && t == token.len() && !escaped {
            return Some(&buf[i + 1..]);
        }
        escaped = false;
        if t == token.len() || c != Some(token[t]) {
            return None;
        }
        i += 1;
        t += 1;
    }
    None
}

/// The password field: up to the first unescaped `:`, `\` escaping.
fn unescape_password(rest: &[u8]) -> String {
    let mut out = Vec::with_capacity(rest.len());
    let mut bytes = rest.iter().copied().peekable();
    while let Some(b) = bytes.next() {
        match b {
            b':' => break,
            b'\\' if bytes.peek().is_some() => out.extend(bytes.next()),
            _ => out.push(b),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The settings of one service, each with its line, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Service {
    /// The file that defines it.
    pub file: PathBuf,
    pub entries: Vec<(String, String, FileLine)>,
}

impl Service {
    pub fn get(&self, key: &str) -> Option<(&str, &FileLine)> {
        // The first wins: libpq does not override a keyword already set.
        self.entries.iter().find(|(k, _, _)| k == key).map(|(_, v, at)| (v.as_str(), at))
    }
}

/// Where libpq looks for a service, in order: `PGSERVICEFILE`, else
/// `~/.pg_service.conf`; then `PGSYSCONFDIR/pg_service.conf` (kbz-check
/// does not know the system directory libpq was built with, so only when
/// `PGSYSCONFDIR` is set).
pub fn service_files(servicefile: Option<&str>, sysconfdir: Option<&str>) -> Vec<PathBuf> {
    let mut files = Vec::new();
    match servicefile.filter(|p| !p.is_empty()) {
        Some(path) => files.push(PathBuf::from(path)),
        None => files.extend(std::env::home_dir().map(|home| home.join(".pg_service.conf"))),
    }
    files.extend(sysconfdir.filter(|p| !p.is_empty()).map(|dir| Path::new(dir).join("pg_service.conf")));
    files
}

/// Service `name` from the first of `files` that defines it, as libpq
/// reads them: `[name]` sections of `keyword=value` lines, taken as
/// written (no quotes, no spaces around `=`). A missing file is skipped;
/// a service found nowhere, or a line libpq refuses, is an error.
pub fn service(name: &str, files: &[PathBuf]) -> Result<Service, String> {
    for file in files {
        if !file.exists() {
            continue;
        }
        let text = crate::input::read_text(file)
            .map_err(|e| format!("service file {}: cannot read it: {e}", file.display()))?;
        if let Some(service) = parse_service(name, file, &text)? {
            return Ok(service);
        }
    }
    let looked: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    Err(format!("definition of service `{name}` not found (looked in: {})", looked.join(", ")))
}

fn parse_service(name: &str, file: &Path, text: &str) -> Result<Option<Service>, String> {
    let mut found: Option<Service> = None;
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = FileLine { file: file.to_path_buf(), line: number + 1 };
        if let Some(section) = line.strip_prefix('[') {
            if found.is_some() {
                break;
            }
            if section.strip_prefix(name).is_some_and(|rest| rest.starts_with(']')) {
                found = Some(Service { file: file.to_path_buf(), entries: Vec::new() });
            }
            continue;
        }
        let Some(service) = found.as_mut() else { continue };
        let bad = || format!("syntax error in service file {at} (expected a libpq keyword=value)");
        let (key, value) = line.split_once('=').ok_or_else(bad)?;
        if key == "service" {
            return Err(format!("nested service specifications not supported in service file {at}"));
        }
        if !crate::conninfo::KEYWORDS.contains(&key) {
            return Err(bad());
        }
        service.entries.push((key.to_string(), value.to_string(), at));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;

    fn file(text: &str, mode: u32) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        std::fs::set_permissions(f.path(), std::fs::Permissions::from_mode(mode)).unwrap();
        f
    }

    fn lookup(text: &str, host: &str, port: u16, db: &str, user: &str) -> Option<(String, usize)> {
        let f = file(text, 0o600);
        password_from_file(f.path(), host, port, db, user).unwrap().map(|(p, at)| (p.expose().to_string(), at.line))
    }

    #[test]
    fn the_first_matching_line_wins_with_wildcards_and_escapes() {
        let text = "# host:port:db:user:password\n\
                    other:5432:*:app:no\n\
                    db.internal:5433:*:app:no\n\
                    db.internal:*:app:app:p@ss $HOME #1\n\
                    *:*:*:app:fallback\n";
        assert_eq!(lookup(text, "db.internal", 5432, "app", "app"), Some(("p@ss $HOME #1".into(), 4)));
        assert_eq!(lookup(text, "db.internal", 5432, "other", "app"), Some(("fallback".into(), 5)));
        assert_eq!(lookup(text, "db.internal", 5432, "app", "nobody"), None);
        // `\:` and `\\` in any field; the password ends at an unescaped `:`.
        let text = "h\\:x:5432:d\\\\b:u:a\\:b\\\\c:ignored\r\n";
        assert_eq!(lookup(text, "h:x", 5432, "d\\b", "u"), Some(("a:b\\c".into(), 1)));
        assert_eq!(lookup(text, "h", 5432, "d\\b", "u"), None);
        // A prefix is no match, nor is `*` inside a field.
        assert_eq!(lookup("db:5432:app:app:x\n", "db2", 5432, "app", "app"), None);
        assert_eq!(lookup("d*:5432:app:app:x\n", "db", 5432, "app", "app"), None);
    }

    #[test]
    fn localhost_matches_the_default_socket_directory() {
        let text = "localhost:5432:*:app:local\n";
        assert_eq!(lookup(text, "/var/run/postgresql", 5432, "app", "app"), Some(("local".into(), 1)));
        assert_eq!(lookup(text, "localhost", 5432, "app", "app"), Some(("local".into(), 1)));
        assert_eq!(lookup(text, "/srv/sockets", 5432, "app", "app"), None);
    }

    #[test]
    fn a_file_others_can_read_is_ignored_with_a_warning_that_shows_no_password() {
        let f = file("*:*:*:*:s3cret-value\n", 0o644);
        let err = password_from_file(f.path(), "h", 5432, "d", "u").unwrap_err();
        assert!(err.contains("group or world access") && err.contains("0600"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
        let missing = password_from_file(Path::new("/nonexistent/.pgpass"), "h", 5432, "d", "u");
        assert_eq!(missing, Ok(None));
        let dir = tempfile::tempdir().unwrap();
        assert!(password_from_file(dir.path(), "h", 5432, "d", "u").unwrap_err().contains("not a plain file"));
    }

    #[test]
    fn a_service_is_read_from_the_first_file_that_defines_it() {
        let user = file(
            "[other]\nhost=x\n\n# c\n[app]\nhost=db.internal\nport=5433\npassword=p@ss $x\n[next]\nhost=y\n",
            0o600,
        );
        let system = file("[app]\nhost=ignored\n[sys]\n  dbname=sysdb  \n", 0o600);
        let files = [PathBuf::from("/nonexistent/.pg_service.conf"), user.path().into(), system.path().into()];
        let app = service("app", &files).unwrap();
        assert_eq!(app.get("host").map(|(v, at)| (v, at.line)), Some(("db.internal", 6)));
        assert_eq!(app.get("password").unwrap().0, "p@ss $x");
        assert_eq!(app.get("dbname"), None);
        assert_eq!(service("sys", &files).unwrap().get("dbname").unwrap().0, "sysdb");
        let err = service("none", &files).unwrap_err();
        assert!(err.contains("service `none` not found"), "{err}");
        // A prefix of a section name is not that section.
        assert!(service("ap", &files).is_err());
    }

    #[test]
    fn a_service_line_libpq_refuses_is_an_error_that_shows_no_value() {
        let bad = file("[app]\nhost = db\n", 0o600);
        let err = service("app", &[bad.path().into()]).unwrap_err();
        assert!(err.contains("line 2") && err.contains("syntax error"), "{err}");
        let bad = file("[app]\nhunter2-s3cret\n", 0o600);
        let err = service("app", &[bad.path().into()]).unwrap_err();
        assert!(err.contains("line 2") && !err.contains("s3cret"), "{err}");
        let nested = file("[app]\nservice=other\n", 0o600);
        assert!(service("app", &[nested.path().into()]).unwrap_err().contains("nested"));
    }
}
