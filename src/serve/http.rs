//! The HTTP side of `serve`: four read-only GET endpoints over HTTP/1.1
//! (hyper). Each answer is built from the [`Board`] at the moment of the
//! request; a peer can hold at most [`MAX_CONNECTIONS`] connections, each
//! for at most [`CONNECTION_LIFETIME`], and must send its request head
//! within [`HEAD_DEADLINE`].

use super::board::Board;
use crate::render::prometheus;
use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Connections served at once; the next waits to be accepted.
const MAX_CONNECTIONS: usize = 64;
/// A client that sends no complete request head within this is dropped.
const HEAD_DEADLINE: Duration = Duration::from_secs(10);
/// Any connection is closed after this, kept alive or not: nothing is held forever.
const CONNECTION_LIFETIME: Duration = Duration::from_secs(120);

/// The endpoints, for the index page and the 404 answer.
const ENDPOINTS: &str = "/metrics (Prometheus text format), /report.json, /report.md, /healthz";

/// Accepts and serves connections until the task is dropped.
pub async fn serve(listener: TcpListener, board: Arc<Board>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else { return };
        let stream = match listener.accept().await {
            Ok((stream, _peer)) => stream,
            // Out of file descriptors, say: wait a moment rather than spin.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let board = board.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let answer = answer(&board, &request);
                async move { Ok::<_, std::convert::Infallible>(answer) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEAD_DEADLINE)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            // An error is the client's (it hung up, sent garbage): nothing to report.
            if tokio::time::timeout(CONNECTION_LIFETIME, connection.as_mut()).await.is_err() {
                // Lifetime over: a request in flight still gets its answer, then the connection closes.
                connection.as_mut().graceful_shutdown();
                let _ = tokio::time::timeout(HEAD_DEADLINE, connection).await;
            }
            drop(slot);
        });
    }
}

/// The answer to one request.
fn answer(board: &Board, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD are served\n".into());
        response.headers_mut().insert(header::ALLOW, header::HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let latest = board.latest();
    match request.uri().path() {
        "/metrics" => with_type(StatusCode::OK, prometheus::CONTENT_TYPE, board.metrics()),
        "/report.json" => match latest {
            Some(published) => with_type(StatusCode::OK, "application/json", published.json.clone()),
            None => not_yet(),
        },
        "/report.md" => match latest {
            Some(published) => with_type(StatusCode::OK, "text/markdown; charset=utf-8", published.markdown.clone()),
            None => not_yet(),
        },
        "/healthz" => match latest {
            Some(published) => {
                let at = crate::time::unix_seconds(published.finished_at);
                let at = crate::time::rfc3339(at).unwrap_or_else(|edge| edge.to_string());
                plain(StatusCode::OK, format!("ok: the last run finished at {at}\n"))
            }
            None => plain(StatusCode::SERVICE_UNAVAILABLE, "starting: the first run has not finished yet\n".into()),
        },
        "/" => plain(StatusCode::OK, format!("kbz-check serve: {ENDPOINTS}\n")),
        _ => plain(StatusCode::NOT_FOUND, format!("not found; kbz-check serves {ENDPOINTS}\n")),
    }
}

/// 503 for a report asked for before the first run ends.
fn not_yet() -> Response<Full<Bytes>> {
    let mut response = plain(
        StatusCode::SERVICE_UNAVAILABLE,
        "no report yet: the first run has not finished; ask again in a moment\n".into(),
    );
    response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
    response
}

fn plain(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    with_type(status, "text/plain; charset=utf-8", body)
}

fn with_type(status: StatusCode, content_type: &'static str, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static(content_type));
    // Always the latest run: no cache may answer for kbz-check.
    headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    response
}
