//! Report files are written whole or not at all: a temporary file in the
//! same directory, renamed over the target.

use std::io::{Error, ErrorKind, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

pub fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    write_with_mode(path, contents, None)
}

/// [`write_atomically`], readable by every user (mode 0644) where a report
/// file is its owner's only: for a file another service's user reads, such
/// as node_exporter's textfile collector. Only for files without secrets.
pub fn write_atomically_readable(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    write_with_mode(path, contents, Some(0o644))
}

fn write_with_mode(path: &Path, contents: &[u8], mode: Option<u32>) -> std::io::Result<()> {
    let mut file = temporary_beside(path)?;
    if let Some(mode) = mode {
        use std::os::unix::fs::PermissionsExt;
        file.as_file().set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    // Through the plain file: tempfile's own writer puts the temporary's
    // name in its errors, a name the user never gave.
    file.as_file_mut().write_all(contents)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// A report path that is refused before anything runs.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("{option} {path}: that is {input}; the report would replace it, so write the report to another file")]
    Input { option: &'static str, path: String, input: String },
    #[error("{first} and {second} name the same file {path}; give each format its own file")]
    Twice { first: &'static str, second: &'static str, path: String },
}

/// Refuses, before any check runs, a report path (`--json FILE`, …) that
/// names an input file or the same file as another format, whatever the
/// spelling (`./a`, a symlink, a hard link). `reports` are (option, path),
/// `inputs` are (what the file is, path).
pub fn refuse_clashes(reports: &[(&'static str, &Path)], inputs: &[(&str, &Path)]) -> Result<(), Refused> {
    for (i, &(option, path)) in reports.iter().enumerate() {
        if let Some((what, input)) = inputs.iter().find(|(_, input)| same_file(path, input)) {
            let input = format!("{what} {}", input.display());
            return Err(Refused::Input { option, path: path.display().to_string(), input });
        }
        if let Some(&(first, _)) = reports[..i].iter().find(|(_, other)| same_file(path, other)) {
            return Err(Refused::Twice { first, second: option, path: path.display().to_string() });
        }
    }
    Ok(())
}

/// Two spellings of one file: the same device and inode when both exist,
/// else the same resolved path (a report file not written yet).
fn same_file(a: &Path, b: &Path) -> bool {
    let id = |path: &Path| std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()));
    match (id(a), id(b)) {
        (Some(a), Some(b)) => a == b,
        (None, None) => resolved(a).is_some_and(|a| Some(a) == resolved(b)),
        _ => false,
    }
}

/// The canonical directory joined with the file name.
fn resolved(path: &Path) -> Option<PathBuf> {
    Some(directory_of(path).canonicalize().ok()?.join(path.file_name()?))
}

/// Fails early, before any check runs, when `path` could not be written:
/// its directory is missing or read-only, or it is a directory itself. A
/// device, pipe or socket (`/dev/full`, `/dev/stdout`) is refused too: the
/// rename would replace it with a regular file. So is a symbolic link: the
/// rename would replace the link, not write where it points, and following
/// it would let a link planted in a shared directory aim the write anywhere.
pub fn ensure_writable(path: &Path) -> std::io::Result<()> {
    let refused = |kind: ErrorKind, why: String| Err(Error::new(kind, why));
    if path.as_os_str().as_encoded_bytes().ends_with(b"/") {
        return refused(ErrorKind::IsADirectory, "it ends with `/`, so it names a directory; name a file".into());
    }
    if let Ok(meta) = path.symlink_metadata() {
        if meta.file_type().is_symlink() {
            let to = std::fs::read_link(path).map(|to| format!(" to {}", to.display())).unwrap_or_default();
            return refused(
                ErrorKind::InvalidInput,
                format!("it is a symbolic link{to}; report files are replaced whole, which would replace the link, so name the file itself"),
            );
        }
        if meta.is_dir() {
            return refused(ErrorKind::IsADirectory, "it is a directory".into());
        }
        if !meta.is_file() {
            return refused(
                ErrorKind::InvalidInput,
                "it is not a regular file (a device, pipe or socket); report files are replaced whole, so name a file"
                    .into(),
            );
        }
    }
    let dir = directory_of(path);
    match dir.metadata() {
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return refused(ErrorKind::NotFound, format!("the directory {} does not exist", shown(dir)))
        }
        Err(e) => return refused(e.kind(), format!("cannot use the directory {}: {e}", shown(dir))),
        Ok(meta) if !meta.is_dir() => {
            return refused(ErrorKind::NotADirectory, format!("{} is not a directory", shown(dir)))
        }
        Ok(_) => {}
    }
    temporary_beside(path).map(drop)
}

/// A temporary file in the target's own directory, so the rename is atomic.
fn temporary_beside(path: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let dir = directory_of(path);
    tempfile::Builder::new().prefix(".kbz-check-").suffix(".tmp").tempfile_in(dir).map_err(|e| {
        // tempfile's message names its random temporary file; say what the user can act on.
        Error::new(e.kind(), format!("cannot create a file in {}: {}", shown(dir), e.kind()))
    })
}

fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// A directory as the user wrote it; `.` when they wrote none.
fn shown(dir: &Path) -> String {
    if dir == Path::new(".") {
        "the current directory".to_string()
    } else {
        dir.display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        std::fs::write(&path, "old").unwrap();
        write_atomically(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_readable_file_is_readable_by_all_and_a_report_by_its_owner() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |name: &str| std::fs::metadata(dir.path().join(name)).unwrap().permissions().mode() & 0o777;
        write_atomically_readable(&dir.path().join("kbz.prom"), b"m 1\n").unwrap();
        write_atomically(&dir.path().join("report.json"), b"{}").unwrap();
        assert_eq!((mode("kbz.prom"), mode("report.json")), (0o644, 0o600));
    }

    #[test]
    fn missing_directory_is_an_error_and_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("report.json");
        assert!(write_atomically(&path, b"x").is_err());
        assert!(!path.exists());
    }

    fn refusal(path: &Path) -> String {
        ensure_writable(path).unwrap_err().to_string()
    }

    #[test]
    fn unwritable_paths_are_explained_without_the_temporary_name() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");
        let err = refusal(&missing.join("r.json"));
        assert_eq!(err, format!("the directory {} does not exist", missing.display()));
        assert_eq!(refusal(Path::new("/dev/null/r.json")), "/dev/null is not a directory");
        assert_eq!(refusal(dir.path()), "it is a directory");
        assert!(refusal(&missing.join("sub/")).contains("names a directory"));
        // procfs refuses new files whoever asks.
        let err = refusal(Path::new("/proc/kbz-report.json"));
        assert!(err.starts_with("cannot create a file in /proc: "), "{err}");
        for err in [err, refusal(&missing.join("r.json"))] {
            assert!(!err.contains(".kbz-check-") && !err.contains("at path"), "{err}");
        }
    }

    #[test]
    fn a_symlink_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let (target, link) = (dir.path().join("real.json"), dir.path().join("link.json"));
        std::fs::write(&target, "kept").unwrap();
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let err = refusal(&link);
        assert!(err.contains("it is a symbolic link to ") && err.contains("real.json"), "{err}");
        assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
        // A dangling link is refused as well.
        std::fs::remove_file(&target).unwrap();
        assert!(refusal(&link).contains("symbolic link"));
    }

    #[test]
    fn clashes_are_found_through_any_spelling() {
        let dir = tempfile::tempdir().unwrap();
        let suite = dir.path().join("suite.toml");
        std::fs::write(&suite, "[checks]").unwrap();
        let hard = dir.path().join("hard.toml");
        std::fs::hard_link(&suite, &hard).unwrap();
        let dotted = dir.path().join(".").join("suite.toml");
        let inputs = [("the suite file", suite.as_path())];
        for spelling in [&suite, &hard, &dotted] {
            let err = refuse_clashes(&[("--json", spelling)], &inputs).unwrap_err().to_string();
            assert!(err.starts_with(&format!("--json {}: that is the suite file ", spelling.display())), "{err}");
        }
        let (a, b) = (dir.path().join("r.xml"), dir.path().join("sub/../r.xml"));
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let err = refuse_clashes(&[("--json", &a), ("--junit", &b)], &inputs).unwrap_err().to_string();
        assert_eq!(
            err,
            format!("--json and --junit name the same file {}; give each format its own file", b.display())
        );
        let other = dir.path().join("r.json");
        assert!(refuse_clashes(&[("--json", &other), ("--junit", &a)], &inputs).is_ok());
    }

    #[test]
    fn a_device_is_refused_not_replaced() {
        let err = ensure_writable(Path::new("/dev/null")).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        assert!(!Path::new("/dev/null").metadata().unwrap().is_file());
    }
}
