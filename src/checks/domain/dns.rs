//! The check's only door to DNS: hickory-resolver asking the system's
//! resolver or the configured servers, every query bounded by the run's
//! deadline, and each answer sorted into what the diagnosis tells apart:
//! records, no such name (NXDOMAIN), no record of that type (NODATA), and a
//! server that failed (SERVFAIL, REFUSED) or did not answer at all.

use crate::check::Context;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::TokioResolver;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// The most one attempt at one server may take: a dead server costs
/// seconds, not the whole deadline, so the rest of the run can say so.
const ATTEMPT: Duration = Duration::from_secs(2);

/// Why a lookup got no usable answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// No answer within the time given (or the server's port was closed).
    Timeout,
    ServFail,
    Refused,
    Other(String),
}

impl Failure {
    pub fn describe(&self) -> String {
        match self {
            Failure::Timeout => "no answer (timed out)".into(),
            Failure::ServFail => "SERVFAIL (the server failed to answer for this name)".into(),
            Failure::Refused => "REFUSED (the server will not answer for this name)".into(),
            Failure::Other(text) => format!("error: {text}"),
        }
    }
}

/// One lookup's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer<T> {
    Records(Vec<T>),
    /// NXDOMAIN: the name does not exist.
    NoSuchName,
    /// The name exists without a record of this type.
    NoData,
    Failed(Failure),
}

impl<T> Answer<T> {
    pub fn records(&self) -> &[T] {
        match self {
            Answer::Records(records) => records,
            _ => &[],
        }
    }

    fn map<U>(self, f: impl Fn(T) -> U) -> Answer<U> {
        match self {
            Answer::Records(records) => Answer::Records(records.into_iter().map(f).collect()),
            Answer::NoSuchName => Answer::NoSuchName,
            Answer::NoData => Answer::NoData,
            Answer::Failed(failure) => Answer::Failed(failure),
        }
    }
}

/// An MX record: preference and exchange, the exchange without its final dot
/// (`.` stays `.`: the null MX of RFC 7505).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mx {
    pub preference: u16,
    pub exchange: String,
}

/// Where queries go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Servers {
    /// The system's resolver (`/etc/resolv.conf`).
    System,
    Listed(Vec<SocketAddr>),
}

impl Servers {
    pub fn describe(&self) -> String {
        match self {
            Servers::System => "the system resolver (/etc/resolv.conf)".into(),
            Servers::Listed(list) => list.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", "),
        }
    }

    /// `dig @SERVER` for the action's command, when a server was named.
    pub fn dig_at(&self) -> String {
        match self {
            Servers::Listed(list) => match list.first() {
                Some(first) if first.port() == 53 => format!("@{} ", first.ip()),
                Some(first) => format!("@{} -p {} ", first.ip(), first.port()),
                None => String::new(),
            },
            Servers::System => String::new(),
        }
    }
}

/// `ip[:port]`, `[v6]:port` or a bare v6 address, comma-separated.
pub fn parse_servers(items: &[String]) -> Result<Vec<SocketAddr>, String> {
    items.iter().map(|item| parse_server(item)).collect()
}

fn parse_server(item: &str) -> Result<SocketAddr, String> {
    if let Ok(address) = item.parse::<SocketAddr>() {
        return Ok(address);
    }
    if let Ok(ip) = item.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, 53));
    }
    Err(format!("`{item}` is not a DNS server address; write IP or IP:PORT (e.g. 127.0.0.1:53 or [::1]:53)"))
}

pub struct Dns {
    resolver: TokioResolver,
}

impl Dns {
    pub fn new(servers: &Servers, ctx: &Context) -> Result<Dns, String> {
        let mut builder = match servers {
            Servers::System => TokioResolver::builder_tokio()
                .map_err(|e| format!("cannot read the system's resolver configuration: {e}"))?,
            Servers::Listed(list) => {
                let name_servers = list
                    .iter()
                    .map(|server| {
                        let with_port = |mut c: ConnectionConfig| {
                            c.port = server.port();
                            c
                        };
                        NameServerConfig::new(
                            server.ip(),
                            true,
                            vec![with_port(ConnectionConfig::udp()), with_port(ConnectionConfig::tcp())],
                        )
                    })
                    .collect();
                TokioResolver::builder_with_config(
                    ResolverConfig::from_name_servers(name_servers),
                    TokioRuntimeProvider::default(),
                )
            }
        };
        let options: &mut ResolverOpts = builder.options_mut();
        options.timeout = ATTEMPT.min(ctx.remaining() / 2).max(Duration::from_millis(100));
        options.attempts = 1;
        // A sender domain is what the world sees: no hosts file, no search list.
        options.use_hosts_file = ResolveHosts::Never;
        options.ndots = 0;
        let resolver = builder.build().map_err(|e| format!("cannot set up the DNS resolver: {e}"))?;
        Ok(Dns { resolver })
    }

    /// TXT records, each as its strings joined (RFC 7208 3.3).
    pub async fn txt(&self, name: &str, ctx: &Context) -> Answer<String> {
        self.lookup(name, RecordType::TXT, ctx).await.map(|data| match data {
            RData::TXT(txt) => txt.txt_data.iter().map(|part| String::from_utf8_lossy(part)).collect::<String>(),
            _ => String::new(),
        })
    }

    pub async fn mx(&self, name: &str, ctx: &Context) -> Answer<Mx> {
        self.lookup(name, RecordType::MX, ctx).await.map(|data| match data {
            RData::MX(mx) => Mx { preference: mx.preference, exchange: host_text(&mx.exchange.to_ascii()) },
            _ => Mx { preference: 0, exchange: String::new() },
        })
    }

    /// The CNAME target at `name`, without its final dot.
    pub async fn cname(&self, name: &str, ctx: &Context) -> Answer<String> {
        self.lookup(name, RecordType::CNAME, ctx).await.map(|data| match data {
            RData::CNAME(target) => host_text(&target.0.to_ascii()),
            _ => String::new(),
        })
    }

    /// A and AAAA records of `name`, both asked.
    pub async fn addresses(&self, name: &str, ctx: &Context) -> Answer<IpAddr> {
        let v4 = self.lookup(name, RecordType::A, ctx).await;
        if let Answer::Failed(_) | Answer::NoSuchName = v4 {
            return v4.map(|_| IpAddr::from([0, 0, 0, 0]));
        }
        let v6 = self.lookup(name, RecordType::AAAA, ctx).await;
        let mut found: Vec<IpAddr> = v4.records().iter().filter_map(ip_of).collect();
        found.extend(v6.records().iter().filter_map(ip_of));
        match (found.is_empty(), v6) {
            (false, _) => Answer::Records(found),
            (true, Answer::Failed(failure)) => Answer::Failed(failure),
            (true, _) => Answer::NoData,
        }
    }

    async fn lookup(&self, name: &str, kind: RecordType, ctx: &Context) -> Answer<RData> {
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        ctx.step(format!("asking DNS for {kind} {name}"));
        let remaining = ctx.remaining();
        if remaining.is_zero() {
            return Answer::Failed(Failure::Timeout);
        }
        match tokio::time::timeout(remaining, self.resolver.lookup(fqdn.as_str(), kind)).await {
            Err(_) => Answer::Failed(Failure::Timeout),
            Ok(Ok(lookup)) => {
                let records: Vec<RData> =
                    lookup.answers().iter().filter(|r| r.record_type() == kind).map(|r| r.data.clone()).collect();
                if records.is_empty() {
                    Answer::NoData
                } else {
                    Answer::Records(records)
                }
            }
            Ok(Err(error)) => classify(&error),
        }
    }
}

fn ip_of(data: &RData) -> Option<IpAddr> {
    match data {
        RData::A(a) => Some(IpAddr::V4(a.0)),
        RData::AAAA(aaaa) => Some(IpAddr::V6(aaaa.0)),
        _ => None,
    }
}

/// `mail.example.test.` → `mail.example.test`; the root stays `.`.
fn host_text(name: &str) -> String {
    match name.trim_end_matches('.') {
        "" => ".".into(),
        host => host.to_ascii_lowercase(),
    }
}

fn classify(error: &NetError) -> Answer<RData> {
    match error {
        NetError::Dns(DnsError::NoRecordsFound(none)) => match none.response_code {
            ResponseCode::NXDomain => Answer::NoSuchName,
            ResponseCode::NoError => Answer::NoData,
            ResponseCode::ServFail => Answer::Failed(Failure::ServFail),
            ResponseCode::Refused => Answer::Failed(Failure::Refused),
            code => Answer::Failed(Failure::Other(format!("answer code {code}"))),
        },
        NetError::Dns(DnsError::ResponseCode(ResponseCode::ServFail)) => Answer::Failed(Failure::ServFail),
        NetError::Dns(DnsError::ResponseCode(ResponseCode::Refused)) => Answer::Failed(Failure::Refused),
        NetError::Dns(DnsError::ResponseCode(ResponseCode::NXDomain)) => Answer::NoSuchName,
        NetError::Timeout => Answer::Failed(Failure::Timeout),
        other => {
            let text = other.to_string();
            if text.contains("timed out") {
                Answer::Failed(Failure::Timeout)
            } else {
                Answer::Failed(Failure::Other(text))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_with_or_without_a_port() {
        let list =
            parse_servers(&["127.0.0.1".into(), "127.0.0.2:5353".into(), "::1".into(), "[::1]:53".into()]).unwrap();
        let shown: Vec<String> = list.iter().map(|s| s.to_string()).collect();
        assert_eq!(shown, ["127.0.0.1:53", "127.0.0.2:5353", "[::1]:53", "[::1]:53"]);
        assert!(parse_servers(&["dns.example.test".into()]).unwrap_err().contains("IP:PORT"));
        assert_eq!(Servers::Listed(list[1..2].to_vec()).dig_at(), "@127.0.0.2 -p 5353 ");
    }

    #[test]
    fn host_names_lose_their_final_dot_but_the_root_stays() {
        assert_eq!(host_text("Mail.Example.test."), "mail.example.test");
        assert_eq!(host_text("."), ".");
    }
}
