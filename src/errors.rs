//! Walking the chain of an error from a library (reqwest, tokio-postgres,
//! rustls, io) to find what really went wrong and to say it once.

use std::error::Error;

/// Every error in `err`'s chain. An `io::Error` wrapping another error
/// answers `source()` with the wrapped error's source, skipping the wrapped
/// error itself (often the rustls error, or another `io::Error`): step into it.
pub fn chain<'a>(err: &'a (dyn Error + 'static)) -> impl Iterator<Item = &'a (dyn Error + 'static)> {
    std::iter::successors(Some(err), |&e: &&'a (dyn Error + 'static)| {
        let wrapped = e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref());
        match wrapped {
            Some(inner) => Some(inner as &(dyn Error + 'static)),
            None => e.source(),
        }
    })
}

/// The first error of type `T` in the chain.
pub fn find<'a, T: Error + 'static>(err: &'a (dyn Error + 'static)) -> Option<&'a T> {
    chain(err).find_map(|e| e.downcast_ref::<T>())
}

/// "outer: inner: innermost", without repeating what a source already says.
pub fn describe(err: &(dyn Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    for e in chain(err) {
        let text = e.to_string();
        if !parts.last().is_some_and(|last| last.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_an_error_wrapped_inside_io_errors() {
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let twice = std::io::Error::other(std::io::Error::new(std::io::ErrorKind::InvalidData, tls.clone()));
        assert_eq!(find::<rustls::Error>(&twice), Some(&tls));
    }

    #[test]
    fn describe_does_not_repeat_itself() {
        let inner = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "connection reset by peer");
        assert_eq!(describe(&std::io::Error::other(inner)), "connection reset by peer");
    }
}
