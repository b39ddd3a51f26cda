//! Reading an SES answer: its JSON, or the AWS error it carries. AWS names
//! an error in the `x-amzn-ErrorType` header (SESv2's JSON protocol), in a
//! JSON body (`__type`, `code`), or in an XML body (`<Code>`, as AWS's
//! front end and moto answer authentication failures); each is read here,
//! and the codes kbz-check knows are sorted into kinds. Pure.

use super::client::Answer;
use crate::human::{excerpt, one_line};
use serde_json::Value;

/// An answer, read.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// A 2xx with a JSON object.
    Data(Value),
    /// AWS refused, saying why.
    Error(AwsError),
    /// No such operation here: a 404, 405 or 5xx without an AWS error (or an
    /// `UnknownOperation` one). An emulator or proxy that lacks the call.
    Lacking { status: u16, excerpt: String },
    /// Anything else: a 2xx that is not JSON, an error without an AWS code.
    Unreadable { status: u16, excerpt: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsError {
    pub status: u16,
    /// e.g. `SignatureDoesNotMatch`, `NotFoundException`.
    pub code: String,
    pub message: String,
}

/// What an AWS error code means for the check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// AWS does not know the access key id.
    KeyUnknown,
    /// The signature is wrong: the secret key does not belong to the access key.
    SecretMismatch,
    /// The signature is too old or from the future: this host's clock is off.
    ClockSkew,
    /// The keys are valid but lack the permission.
    Denied,
    NotFound,
    /// The endpoint does not implement the operation.
    Unsupported,
    /// Too many requests or a server-side failure: try again later.
    Transient,
    Other,
}

impl AwsError {
    pub fn kind(&self) -> ErrorKind {
        let message = self.message.to_ascii_lowercase();
        match self.code.as_str() {
            // AWS's front end checks the date before the signature.
            _ if message.contains("signature expired") || message.contains("signature not yet current") => {
                ErrorKind::ClockSkew
            }
            "RequestExpired" | "RequestTimeTooSkewed" => ErrorKind::ClockSkew,
            "InvalidClientTokenId" | "UnrecognizedClientException" | "InvalidAccessKeyId" => ErrorKind::KeyUnknown,
            "SignatureDoesNotMatch" | "InvalidSignatureException" => ErrorKind::SecretMismatch,
            "AccessDenied" | "AccessDeniedException" => ErrorKind::Denied,
            "NotFoundException" | "NotFound" => ErrorKind::NotFound,
            "UnknownOperation" | "UnknownOperationException" | "InvalidAction" | "NotImplemented" => {
                ErrorKind::Unsupported
            }
            "TooManyRequestsException"
            | "Throttling"
            | "ThrottlingException"
            | "LimitExceededException"
            | "InternalFailure"
            | "InternalServerError"
            | "ServiceUnavailable" => ErrorKind::Transient,
            _ if self.status >= 500 => ErrorKind::Transient,
            _ => ErrorKind::Other,
        }
    }

    /// `SignatureDoesNotMatch: The request signature we calculated ...`.
    pub fn text(&self) -> String {
        if self.message.is_empty() {
            self.code.clone()
        } else {
            format!("{}: {}", self.code, self.message)
        }
    }
}

pub fn read(answer: &Answer) -> Reply {
    let status = answer.status;
    let excerpt = excerpt(&answer.body);
    if (200..300).contains(&status) {
        return match serde_json::from_slice::<Value>(&answer.body) {
            Ok(value @ Value::Object(_)) if !answer.truncated => Reply::Data(value),
            _ => Reply::Unreadable { status, excerpt },
        };
    }
    match aws_error(answer) {
        Some(error) if error.kind() == ErrorKind::Unsupported => Reply::Lacking { status, excerpt: error.text() },
        Some(error) => Reply::Error(error),
        None if matches!(status, 404 | 405 | 500 | 501) => Reply::Lacking { status, excerpt },
        None => Reply::Unreadable { status, excerpt },
    }
}

/// The AWS error an answer carries, from its header, JSON or XML body.
fn aws_error(answer: &Answer) -> Option<AwsError> {
    let json = serde_json::from_slice::<Value>(&answer.body).ok();
    let field = |names: &[&str]| {
        json.as_ref().and_then(|v| names.iter().find_map(|n| v.get(*n).and_then(Value::as_str)).map(str::to_string))
    };
    let text = String::from_utf8_lossy(&answer.body);
    let code = answer
        .error_type
        .clone()
        .or_else(|| field(&["__type", "code", "Code"]))
        .or_else(|| xml_element(&text, "Code"))
        .map(|code| one_line(&bare_code(&code)))
        .filter(|code| !code.is_empty())?;
    let message = field(&["message", "Message"]).or_else(|| xml_element(&text, "Message")).unwrap_or_default();
    Some(AwsError { status: answer.status, code, message: one_line(&message) })
}

/// `com.amazonaws.sesv2#NotFoundException` or `NotFoundException:http://...` → `NotFoundException`.
fn bare_code(code: &str) -> String {
    let code = code.split(':').next().unwrap_or(code);
    code.rsplit('#').next().unwrap_or(code).trim().to_string()
}

/// The text of the first `<name>…</name>`, entities decoded; enough for
/// AWS's flat error documents, without an XML parser.
fn xml_element(text: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = text.find(&open)? + open.len();
    let end = text[start..].find(&format!("</{name}>"))? + start;
    let raw = &text[start..end];
    Some(
        raw.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, error_type: Option<&str>, body: &str) -> Answer {
        Answer {
            status,
            error_type: error_type.map(str::to_string),
            body: body.as_bytes().to_vec(),
            truncated: false,
            redirect: None,
        }
    }

    fn error(status: u16, error_type: Option<&str>, body: &str) -> AwsError {
        match read(&answer(status, error_type, body)) {
            Reply::Error(error) => error,
            other => panic!("not an AWS error: {other:?}"),
        }
    }

    #[test]
    fn json_answers_are_data() {
        let reply = read(&answer(200, None, r#"{"SendingEnabled":true}"#));
        assert_eq!(reply, Reply::Data(serde_json::json!({"SendingEnabled": true})));
        assert!(matches!(read(&answer(200, None, "<html>ok</html>")), Reply::Unreadable { status: 200, .. }));
        assert!(matches!(read(&answer(200, None, "[1]")), Reply::Unreadable { .. }));
        let mut cut = answer(200, None, "{}");
        cut.truncated = true;
        assert!(matches!(read(&cut), Reply::Unreadable { .. }));
    }

    #[test]
    fn aws_json_protocol_error_from_the_header() {
        let e = error(
            403,
            Some("UnrecognizedClientException"),
            r#"{"message":"The security token included in the request is invalid."}"#,
        );
        assert_eq!((e.code.as_str(), e.kind()), ("UnrecognizedClientException", ErrorKind::KeyUnknown));
        assert_eq!(e.text(), "UnrecognizedClientException: The security token included in the request is invalid.");
        let e = error(404, None, r#"{"__type":"com.amazonaws.sesv2#NotFoundException","message":"x"}"#);
        assert_eq!((e.code.as_str(), e.kind()), ("NotFoundException", ErrorKind::NotFound));
        let e = error(
            403,
            Some("AccessDeniedException"),
            r#"{"Message":"User: arn:aws:iam::1:user/app is not authorized to perform: ses:GetAccount"}"#,
        );
        assert_eq!(e.kind(), ErrorKind::Denied);
        assert!(e.message.ends_with("ses:GetAccount"));
    }

    #[test]
    fn xml_errors_as_moto_and_the_aws_front_end_send_them() {
        let body = "<?xml version=\"1.0\"?>\n<ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.\n Check your AWS Secret Access Key &amp; signing method.</Message></Error></Errors></ErrorResponse>";
        let e = error(403, None, body);
        assert_eq!(e.kind(), ErrorKind::SecretMismatch);
        assert_eq!(
            e.message,
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key & signing method."
        );
        let e = error(403, None, "<Error><Code>InvalidClientTokenId</Code></Error>");
        assert_eq!((e.kind(), e.text().as_str()), (ErrorKind::KeyUnknown, "InvalidClientTokenId"));
        let e = error(403, None, "<Error><Code>InvalidSignatureException</Code><Message>Signature expired: 20260101T000000Z is now earlier than 20260101T000500Z</Message></Error>");
        assert_eq!(e.kind(), ErrorKind::ClockSkew, "an expired signature is the clock, not the secret");
    }

    #[test]
    fn a_missing_operation_is_told_apart_from_an_aws_404() {
        let html = "<!doctype html><title>404 Not Found</title><h1>Not Found</h1>";
        assert!(matches!(read(&answer(404, None, html)), Reply::Lacking { status: 404, .. }));
        assert!(matches!(read(&answer(501, None, "")), Reply::Lacking { status: 501, .. }));
        assert!(matches!(read(&answer(500, None, "Traceback ...")), Reply::Lacking { status: 500, .. }));
        let unknown = read(&answer(400, Some("UnknownOperationException"), "{}"));
        assert!(matches!(unknown, Reply::Lacking { status: 400, .. }), "{unknown:?}");
        assert!(matches!(read(&answer(502, None, "<html>Bad gateway</html>")), Reply::Unreadable { status: 502, .. }));
        assert_eq!(error(429, Some("TooManyRequestsException"), "{}").kind(), ErrorKind::Transient);
    }

    #[test]
    fn bodies_of_any_shape_never_panic() {
        for body in ["", "<Code>", "<Code></Code>", "{\"__type\":7}", "\u{0}\u{1}<Message>é</Message>", "<Code>x</Code"]
        {
            for status in [200, 400, 403, 404, 500, 503] {
                let _ = read(&answer(status, None, body));
            }
        }
    }

    #[test]
    fn control_characters_in_an_error_become_spaces() {
        let e = error(400, None, r#"{"__type":"Bad\u0007Code","message":"red \u001b[31malert\u0000"}"#);
        assert_eq!((e.code.as_str(), e.message.as_str()), ("Bad Code", "red [31malert"));
        let e = error(403, None, "<Error><Code>AccessDenied</Code><Message>no\x1b[2J</Message></Error>");
        assert_eq!(e.message, "no [2J");
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::test_strategies::{any_body, any_json, any_status, any_text, config};
    use proptest::prelude::*;
    use serde_json::json;

    /// An AWS error code, as AWS and emulators name them.
    fn code() -> impl Strategy<Value = String> {
        prop_oneof![
            "[A-Z][A-Za-z]{2,30}",
            prop::sample::select(vec![
                "SignatureDoesNotMatch",
                "InvalidClientTokenId",
                "AccessDeniedException",
                "NotFoundException",
                "UnknownOperationException",
                "TooManyRequestsException",
                "RequestExpired",
            ])
            .prop_map(str::to_string),
        ]
    }

    fn xml_escaped(text: &str) -> String {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&apos;")
    }

    /// The same error in each of the three ways AWS sends one.
    fn error_answer(status: u16, code: &str, message: &str, form: u8) -> Answer {
        let (error_type, body) = match form % 3 {
            0 => {
                let header = format!("{code}:http://internal.amazon.com/coral/com.amazonaws.sesv2/");
                (Some(header), json!({ "message": message }).to_string())
            }
            1 => (None, json!({ "__type": format!("com.amazonaws.sesv2#{code}"), "Message": message }).to_string()),
            _ => (
                None,
                format!(
                    "<?xml version=\"1.0\"?>\n<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>\
                     <Message>{}</Message></Error><RequestId>r</RequestId></ErrorResponse>",
                    xml_escaped(message)
                ),
            ),
        };
        Answer { status, error_type, body: body.into_bytes(), truncated: false, redirect: None }
    }

    proptest! {
        #![proptest_config(config())]

        /// Any answer: a reply of its status's class, never a panic; data
        /// only from a whole 2xx JSON object; an error's code bare, and its
        /// code and message one printable line (they reach the cause, which
        /// a terminal shows as it is).
        #[test]
        fn any_answer_gives_a_reply(
            status in any_status(),
            error_type in proptest::option::of(any_text()),
            body in any_body(),
            truncated in any::<bool>(),
        ) {
            let sent = Answer { status, error_type, body, truncated, redirect: None };
            let printable = |text: &str| !text.contains(char::is_control);
            match read(&sent) {
                Reply::Data(value) => {
                    prop_assert!((200..300).contains(&status) && !truncated && value.is_object());
                    prop_assert_eq!(serde_json::from_slice::<Value>(&sent.body).ok(), Some(value));
                }
                Reply::Error(error) => {
                    prop_assert!(!(200..300).contains(&status));
                    prop_assert!(!error.code.is_empty() && !error.code.contains([':', '#']), "{:?}", error);
                    prop_assert!(printable(&error.code) && printable(&error.message), "{:?}", error);
                    prop_assert_ne!(error.kind(), ErrorKind::Unsupported);
                }
                Reply::Lacking { status: s, excerpt } | Reply::Unreadable { status: s, excerpt } => {
                    prop_assert_eq!(s, status);
                    prop_assert!(printable(&excerpt), "{:?}", excerpt);
                }
            }
            let excerpt = excerpt(&sent.body);
            prop_assert!(printable(&excerpt) && excerpt.chars().count() <= crate::human::EXCERPT_CHARS + 1, "{:?}", excerpt);
        }

        /// An AWS error reads back the same from the header, a JSON body or
        /// an XML body: its bare code, its message on one line.
        #[test]
        fn an_aws_error_reads_back_in_each_form(
            status in 400u16..600,
            code in code(),
            message in any_text(),
            form in any::<u8>(),
        ) {
            let reply = read(&error_answer(status, &code, &message, form));
            let expected = AwsError { status, code, message: one_line(&message) };
            if expected.kind() == ErrorKind::Unsupported {
                prop_assert_eq!(reply, Reply::Lacking { status, excerpt: expected.text() });
            } else {
                prop_assert_eq!(reply, Reply::Error(expected));
            }
        }

        /// A JSON error body whose code fields are not strings names no code:
        /// the answer is not an AWS error, and says what it is instead.
        #[test]
        fn code_fields_of_another_type_name_no_code(
            status in 400u16..600,
            type_field in any_json().prop_filter("not a string", |v| !v.is_string()),
            code_field in any_json().prop_filter("not a string", |v| !v.is_string()),
            message in any_json(),
        ) {
            let body = json!({ "__type": type_field, "code": code_field, "message": message }).to_string();
            let reply = read(&Answer { status, error_type: None, body: body.into_bytes(), truncated: false, redirect: None });
            let lacking = matches!(status, 404 | 405 | 500 | 501);
            match reply {
                Reply::Lacking { status: s, excerpt } if lacking => prop_assert!(s == status && !excerpt.is_empty()),
                Reply::Unreadable { status: s, excerpt } if !lacking => {
                    prop_assert!(s == status && !excerpt.is_empty())
                }
                other => prop_assert!(false, "read as {:?}", other),
            }
        }
    }
}
