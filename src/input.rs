//! Reading the files a user names as input (`-e` env files, the `-c`
//! suite): only regular files, and only up to [`MAX_INPUT_BYTES`], so a
//! wrong path (`/dev/zero`, a FIFO nobody writes to, a database dump) is an
//! error at once instead of a hang or a process that eats all memory.

use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// 1 MiB. A hand-written env or suite file is a few KiB, even with a PEM
/// certificate pasted into a value; a thousand times that is still read in a
/// moment, while anything larger is surely the wrong file (a log, a dump).
pub const MAX_INPUT_BYTES: u64 = 1024 * 1024;

/// Why an input file was not read. The messages name the problem, the
/// caller names the file.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("it is {0}, not a regular file; write the settings to a file and name that file")]
    NotRegular(&'static str),
    #[error("it is larger than 1 MiB, the limit for an input file: surely not the file meant")]
    TooLarge,
    #[error("it is not UTF-8 text")]
    NotText,
}

/// The whole text of `path`, if it is a regular file of at most [`MAX_INPUT_BYTES`].
pub fn read_text(path: &Path) -> Result<String, InputError> {
    // O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever;
    // it changes nothing for a regular file. The type is checked on the
    // opened file, so a swap between check and read cannot slip past it.
    let file = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path)?;
    let meta = file.metadata()?;
    let kind = meta.file_type();
    if !kind.is_file() {
        return Err(InputError::NotRegular(match () {
            _ if kind.is_dir() => "a directory",
            _ if kind.is_fifo() => "a named pipe (FIFO)",
            _ if kind.is_char_device() || kind.is_block_device() => "a device",
            _ if kind.is_socket() => "a socket",
            _ => "a special file",
        }));
    }
    if meta.len() > MAX_INPUT_BYTES {
        return Err(InputError::TooLarge);
    }
    // The size can grow after the check: read one byte past the limit, no more.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(InputError::TooLarge);
    }
    String::from_utf8(bytes).map_err(|_| InputError::NotText)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn reads_a_regular_file() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), "A=1\n").unwrap();
        assert_eq!(read_text(file.path()).unwrap(), "A=1\n");
    }

    #[test]
    fn refuses_devices_directories_and_fifos_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(status.success());
        let started = Instant::now();
        for (path, what) in
            [(Path::new("/dev/zero"), "a device"), (dir.path(), "a directory"), (fifo.as_path(), "a named pipe (FIFO)")]
        {
            let err = read_text(path).unwrap_err().to_string();
            assert!(err.contains(what) && err.contains("not a regular file"), "{}: {err}", path.display());
        }
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    }

    #[test]
    fn refuses_a_file_over_the_limit_without_reading_it() {
        let file = tempfile::NamedTempFile::new().unwrap();
        // Sparse: 200 MB long, nothing written, nothing read.
        file.as_file().set_len(200 * 1024 * 1024).unwrap();
        let err = read_text(file.path()).unwrap_err().to_string();
        assert!(err.contains("larger than 1 MiB"), "{err}");
        file.as_file().set_len(MAX_INPUT_BYTES).unwrap();
        assert_eq!(read_text(file.path()).unwrap().len() as u64, MAX_INPUT_BYTES, "the limit itself is accepted");
    }

    #[test]
    fn refuses_binary_and_names_a_missing_file_reason() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), b"\xff\xfe\x00").unwrap();
        assert_eq!(read_text(file.path()).unwrap_err().to_string(), "it is not UTF-8 text");
        let err = read_text(Path::new("/nonexistent/kbz.env")).unwrap_err().to_string();
        assert!(err.contains("No such file"), "{err}");
    }
}
