//! From what the servers said to a status, a cause in plain words and the
//! actions that fix it. Pure: unit-tested without a server.

use super::codes;
use super::probe::{self, ServerFacts, WriteProbe};
use super::refusal;
use super::{Endpoint, Expect, Landing, MemberReport, PostgresCheck, Sample};
use crate::checks::findings::Findings;
use crate::report::{Action, Outcome, Priority};

/// What a SQLSTATE 25006 looks like to the app, quoted in causes.
const READ_ONLY_ERROR: &str = "SQLSTATE 25006 \"cannot execute UPDATE in a read-only transaction\"";

/// Where the connection string landed, placed among the members.
struct Landed<'a> {
    endpoint: &'a Endpoint,
    facts: &'a ServerFacts,
    /// The `nodes` member it is, if any.
    member: Option<&'a str>,
}

pub fn diagnose(check: &PostgresCheck, landing: &Landing, members: &[MemberReport], samples: &[Sample]) -> Outcome {
    let mut found = Findings::default();
    // Sessions landing on different members explain the rest: said first.
    let routing = match landing {
        Landing::Connected { endpoint, facts, .. } if !samples.is_empty() => {
            let here = Landed { endpoint, facts, member: member_at(endpoint, facts, members) };
            let routing = Routing::tally(&here, samples, members);
            routing.problems(check, &mut found);
            Some(routing)
        }
        _ => None,
    };
    let mut ok_summary = String::new();
    let mut landed = None;
    match landing {
        Landing::ConnectFailed { error, passed_over } => {
            let mut output = error.to_string();
            for (endpoint, reason) in passed_over {
                output.push_str(&format!("\npassed over {endpoint}: {reason}"));
            }
            for note in &check.params.notes {
                output.push_str(&format!("\n{note}"));
            }
            found.evidence("connection", None, output);
            refusal::connect_failure(check, error, &mut found);
        }
        Landing::QueryFailed { endpoint, error } => {
            found.evidence(
                "connection",
                None,
                format!("connected to {endpoint}, then a read-only query failed: {error}"),
            );
            found.fail(
                codes::QUERY_FAILED,
                format!("query failed on {endpoint}: {error}"),
                format!("the login to {endpoint} worked but a read-only status query failed: {error}"),
                vec![Action::new(Priority::High, "Look at the server log around this time for the failing query")],
            );
        }
        Landing::Connected { endpoint, passed_over, facts } => {
            let here = Landed { endpoint, facts, member: member_at(endpoint, facts, members) };
            ok_summary = role_findings(check, &here, passed_over, members, &mut found);
            landed = Some(here);
        }
    }
    member_findings(check, landed.as_ref(), members, &mut found);
    if let Some(routing) = routing {
        found.evidence("routing", Some(probe::LANDING), routing.evidence(check));
    }
    found.into_outcome(ok_summary)
}

/// Where the sessions opened through the connection string landed: the
/// app's own first, then the further ones.
struct Routing {
    /// Each server sessions landed on, in the order first seen.
    places: Vec<Place>,
    /// The further sessions that did not open, and why.
    failed: Vec<String>,
    /// Every session tried, the app's own included.
    tried: usize,
    /// The connection limits, read on the app's session when others were refused with 53300.
    counts: Option<super::limits::Counts>,
}

struct Place {
    /// The server's own address, else the host connected to.
    address: Endpoint,
    member: Option<String>,
    in_recovery: bool,
    sessions: usize,
}

impl Place {
    fn name(&self) -> String {
        match &self.member {
            Some(member) => format!("{member} {}", self.address),
            None => self.address.to_string(),
        }
    }

    fn role(&self) -> &'static str {
        if self.in_recovery {
            "replica"
        } else {
            "leader"
        }
    }
}

impl Routing {
    fn tally(here: &Landed, samples: &[Sample], members: &[MemberReport]) -> Self {
        let mut routing = Routing {
            places: Vec::new(),
            failed: Vec::new(),
            tried: 1 + samples.len(),
            counts: here.facts.counts.clone(),
        };
        let first = match (&here.facts.server_addr, here.facts.server_port) {
            (Some(host), Some(port)) => Endpoint { host: host.clone(), port },
            _ => here.endpoint.clone(),
        };
        routing.count(first, here.member.map(str::to_string), here.facts.in_recovery);
        for sample in samples {
            match sample {
                Ok(place) => {
                    let member = member_named(&place.endpoint, place.server.as_ref(), members).map(str::to_string);
                    let address = place.server.clone().unwrap_or_else(|| place.endpoint.clone());
                    routing.count(address, member, place.in_recovery);
                }
                Err(error) => routing.failed.push(error.clone()),
            }
        }
        routing
    }

    fn count(&mut self, address: Endpoint, member: Option<String>, in_recovery: bool) {
        match self.places.iter_mut().find(|p| p.address == address && p.in_recovery == in_recovery) {
            Some(place) => place.sessions += 1,
            None => self.places.push(Place { address, member, in_recovery, sessions: 1 }),
        }
    }

    fn landed(&self) -> usize {
        self.places.iter().map(|p| p.sessions).sum()
    }

    /// Sessions on servers in recovery (`true`) or out of it.
    fn on(&self, in_recovery: bool) -> (usize, Vec<String>) {
        let places: Vec<&Place> = self.places.iter().filter(|p| p.in_recovery == in_recovery).collect();
        (places.iter().map(|p| p.sessions).sum(), places.iter().map(|p| p.name()).collect())
    }

    fn listing(&self) -> String {
        let places: Vec<String> =
            self.places.iter().map(|p| format!("{} on {} ({})", p.sessions, p.name(), p.role())).collect();
        places.join(", ")
    }

    /// `5 sessions through 10.0.0.10:5432: 3 on db-postgres-01 10.0.0.120:5432 (leader), 2 on …`,
    /// then one line per session that did not open.
    fn evidence(&self, check: &PostgresCheck) -> String {
        let through = super::join_endpoints(&check.params.endpoints());
        let mut text = format!("{} sessions through {through}: {}", self.tried, self.listing());
        for error in &self.failed {
            text.push_str(&format!("\n1 did not open: {error}"));
        }
        text
    }

    fn problems(&self, check: &PostgresCheck, found: &mut Findings) {
        let name = &check.url_name;
        let through = super::join_endpoints(&check.params.endpoints());
        let landed = self.landed();
        if let Some((limit, message)) = self.failed.iter().find_map(|e| refusal::limit_of(e)) {
            refusal::limit_refused(check, limit, message, self.counts.as_ref(), (self.tried, landed), found);
            return;
        }
        if let Some((refused, error)) = self.failed.iter().find_map(|e| Some((refusal::pooler_of(e)?, e))) {
            refusal::pooler_refused(check, refused, error, (self.tried, landed), found);
            return;
        }
        if landed == 1 && !self.failed.is_empty() {
            let more = self.failed.len();
            found.fail(
                codes::ROUTING_SESSIONS_FAILED,
                format!("only 1 of {} sessions opens through {name}: {}", self.tried, self.failed[0]),
                format!(
                    "the app's first session opened, but none of the {more} opened after it at the same time did ({}). An app's pool holds several sessions: a connection limit (max_connections, the role's or the database's CONNECTION LIMIT, a pooler's or proxy's maxconn) refuses the others",
                    self.failed[0]
                ),
                vec![Action::new(Priority::High, "Find the limit that refuses the further sessions: the server's, the role's, the database's, or the proxy's")
                    .with_command("SHOW max_connections;\nSELECT rolconnlimit FROM pg_roles WHERE rolname = current_user;\nSELECT datconnlimit FROM pg_database WHERE datname = current_database();\nSELECT count(*) FROM pg_stat_activity;")],
            );
            return;
        }
        let (on_replicas, replicas) = self.on(true);
        let (on_leaders, leaders) = self.on(false);
        if on_replicas == 0 || on_leaders == 0 {
            return;
        }
        let router = format!(
            "whatever answers at {through} (a load balancer or proxy such as HAProxy, or a DNS name with several addresses) sends sessions to members by turn, or by a health check that does not ask which member is the leader"
        );
        let see = |priority| {
            Action::new(
                priority,
                "See where new sessions land, from where the app runs: one line per session, its server and `t` on a replica",
            )
            .with_command(see_command(check))
        };
        match check.expect {
            Expect::Leader => found.fail(
                codes::ROUTING_MIXED,
                format!("{on_replicas} of {landed} sessions land on a replica: writes fail intermittently with 25006"),
                format!(
                    "{name} leads to more than one member: {}. Sessions on {} are read-only, so the app's writes fail with {READ_ONLY_ERROR} on the connections that landed there and work on the others; {router}",
                    self.listing(),
                    replicas.join(", "),
                ),
                vec![
                    Action::new(
                        Priority::Critical,
                        "Send the write endpoint's sessions to the leader only: in HAProxy, health-check each server by asking which member is the leader (Patroni's REST API /primary, or a check of pg_is_in_recovery()) rather than balancing over every member",
                    )
                    .with_command(self.haproxy_backend("postgres_write", "/primary")),
                    see(Priority::High),
                ],
            ),
            Expect::Replica => found.warn(
                codes::ROUTING_MIXED,
                format!("{on_leaders} of {landed} sessions land on the leader, not on a replica"),
                format!(
                    "{name} is meant for a replica but leads to more than one member: {}. The reads of the sessions on {} load the leader; {router}",
                    self.listing(),
                    leaders.join(", "),
                ),
                vec![
                    Action::new(
                        Priority::Medium,
                        "Send the read endpoint's sessions to replicas only: in HAProxy, health-check each server with Patroni's REST API /replica",
                    )
                    .with_command(self.haproxy_backend("postgres_read", "/replica")),
                    see(Priority::Low),
                ],
            ),
            Expect::Any => {}
        }
    }

    /// An HAProxy backend that sends sessions only to the member Patroni's
    /// REST API (port 8008) answers 200 for on `path`.
    fn haproxy_backend(&self, backend: &str, path: &str) -> String {
        let mut lines = vec![
            format!("# haproxy.cfg: Patroni answers {path} with 200 only on the members it fits"),
            format!("backend {backend}"),
            format!("    option httpchk GET {path}"),
            "    http-check expect status 200".to_string(),
            "    default-server inter 3s fall 3 rise 2 on-marked-down shutdown-sessions".to_string(),
        ];
        let mut seen = Vec::new();
        for (i, place) in self.places.iter().enumerate() {
            if seen.contains(&&place.address) {
                continue;
            }
            seen.push(&place.address);
            let server = place.member.clone().unwrap_or_else(|| format!("pg{}", i + 1));
            lines.push(format!("    server {server} {} check port 8008", place.address));
        }
        lines.join("\n")
    }
}

/// A shell loop that opens sessions as the app does and shows where each lands.
fn see_command(check: &PostgresCheck) -> String {
    let name = &check.url_name;
    let is_variable = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with("PG");
    // psql reads the PG* variables itself; another variable is passed as the connection string.
    let target = if is_variable {
        format!(" \"${name}\"")
    } else if name.starts_with("PG") {
        String::new()
    } else {
        " \"<connection string>\"".to_string()
    };
    format!(
        "for i in 1 2 3 4 5 6; do psql{target} -XAtc 'SELECT inet_server_addr(), inet_server_port(), pg_is_in_recovery()'; done"
    )
}

fn role_findings(
    check: &PostgresCheck,
    here: &Landed,
    passed_over: &[(Endpoint, String)],
    members: &[MemberReport],
    found: &mut Findings,
) -> String {
    let (facts, endpoint) = (here.facts, here.endpoint);
    let name = &check.url_name;
    let user = &facts.user;
    // kbz-check's own connection, as the app's would be; what the server sees is the `tls` line's second half.
    let tls = if facts.wire.tls.is_some() { "TLS on" } else { "TLS off" };
    let mut connection = format!(
        "connected to {endpoint} as {user}, database {}, {tls} (sslmode={})",
        facts.database,
        check.params.tls.name()
    );
    for (skipped, reason) in passed_over {
        connection.push_str(&format!("\npassed over {skipped}: {reason}"));
    }
    if !check.params.unused.is_empty() {
        connection.push_str(&format!("\noptions for other clients, not used here: {}", check.params.unused.join(", ")));
    }
    for note in &check.params.notes {
        connection.push_str(&format!("\n{note}"));
    }
    found.evidence("connection", Some(probe::SESSION), connection);
    let path = Path::of(endpoint, facts);
    found.evidence("path", Some(PATH_SOURCES), path.evidence(endpoint, facts, here.member));
    found.evidence("tls", Some(TLS_SOURCES), tls_evidence(check, endpoint, facts, &path));
    let role =
        if facts.in_recovery { "t (in recovery: a read-only replica)" } else { "f (not in recovery: the leader)" };
    found.evidence("role", Some(probe::IN_RECOVERY), role);
    found.evidence(
        "read-only settings",
        Some(&format!("{}; {}", probe::READ_ONLY, probe::DEFAULT_READ_ONLY)),
        format!(
            "transaction_read_only = {}\ndefault_transaction_read_only = {}",
            facts.transaction_read_only, facts.default_transaction_read_only
        ),
    );
    let server = match (&facts.server_addr, facts.server_port) {
        (Some(addr), Some(port)) => Endpoint { host: addr.clone(), port }.to_string(),
        _ => "(Unix socket: no address)".to_string(),
    };
    let server = match here.member {
        Some(member) => format!("{server} = member {member}"),
        None => server,
    };
    found.evidence("server address", Some(probe::SERVER_ADDRESS), server);
    found.evidence("server version", Some(probe::SERVER_VERSION), facts.version.clone());
    let probe_output = match &facts.write_probe {
        WriteProbe::Accepted => {
            "accepted, then rolled back: this server takes writes (nothing was written)".to_string()
        }
        WriteProbe::Refused { code, message } => format!("refused: ERROR {code} {message}"),
        WriteProbe::NotRun => "not run".to_string(),
    };
    found.evidence("write probe", Some(probe::WRITE_PROBE), probe_output);

    let hidden_note = format!("hidden: role {user} lacks pg_read_all_stats (GRANT pg_monitor TO {user} shows it)");
    let leader = leader_of(facts, members);
    let place = path.place(endpoint, here.member);

    if facts.in_recovery {
        let upstream = match &facts.upstream {
            None => "no WAL receiver: not streaming from a leader".to_string(),
            Some(u) if u.status.is_none() => hidden_note.clone(),
            Some(u) => format!(
                "{} from {}:{}",
                u.status.as_deref().unwrap_or("?"),
                u.host.as_deref().unwrap_or("?"),
                u.port.map_or("?".to_string(), |p| p.to_string())
            ),
        };
        found.evidence("upstream leader", Some(probe::UPSTREAM), upstream);
        found.evidence("replay lag", Some(probe::REPLAY_LAG), lag_text(facts.replay_lag_secs));
        if let Some(status) = facts.upstream.as_ref().and_then(|u| u.status.as_deref()).filter(|s| *s != "streaming") {
            found.warn(
                codes::REPLICA_NOT_STREAMING,
                format!("replica {place} is not streaming (WAL receiver {status})"),
                format!("the replica's WAL receiver is `{status}`, not `streaming`: it falls behind the leader"),
                vec![Action::new(Priority::High, "Check the replica's log and its primary_conninfo")],
            );
        }
        lag_problem(check, &format!("replica {place}"), facts.replay_lag_secs, found);
    } else {
        let mut lines: Vec<String> = facts.replicas.iter().map(replica_line).collect();
        if lines.is_empty() {
            lines.push("none connected".to_string());
        }
        if !facts.sees_replication && !facts.replicas.is_empty() {
            lines.push(format!("addresses and states {hidden_note}"));
        }
        found.evidence("replicas", Some(probe::REPLICAS), lines.join("\n"));
        for replica in &facts.replicas {
            if let Some(state) = replica.state.as_deref().filter(|s| *s != "streaming") {
                found.warn(
                    codes::REPLICA_NOT_STREAMING,
                    format!("replica {} is `{state}`, not streaming", replica.addr.as_deref().unwrap_or("?")),
                    format!("a replica connected to the leader is in state `{state}`: it is not yet in sync"),
                    vec![Action::new(Priority::Medium, "Watch pg_stat_replication until the replica streams")],
                );
            }
            let who = format!("replica {}", replica.addr.as_deref().or(replica.name.as_deref()).unwrap_or("?"));
            lag_problem(check, &who, replica.replay_lag_secs, found);
        }
    }

    match (check.expect, facts.in_recovery) {
        (Expect::Leader, true) => on_replica(check, here, &place, &path, leader.as_ref(), members, found),
        (Expect::Leader, false) if facts.transaction_read_only == "on" => {
            found.fail(
                codes::READ_ONLY_SESSIONS,
                format!("sessions on the leader {place} start read-only"),
                format!(
                    "the server is the leader, but this session starts read-only (default_transaction_read_only = on for role {user}, database {} or the server): writes fail with {READ_ONLY_ERROR}",
                    facts.database
                ),
                vec![Action::new(Priority::Critical, "Reset default_transaction_read_only where it is set")
                    .with_command(format!(
                        "ALTER ROLE {user} RESET default_transaction_read_only;\nALTER DATABASE {} RESET default_transaction_read_only;",
                        facts.database
                    ))],
            );
        }
        (Expect::Replica, false) => {
            found.warn(
                codes::ON_LEADER,
                format!("{name} lands on the leader {place}, not on a replica"),
                format!("{name} is meant for a replica (expect = \"replica\") but reaches the leader: its reads load the leader"),
                vec![Action::new(Priority::Medium, format!("Point {name} at a replica or the read-only endpoint"))],
            );
        }
        _ => {}
    }

    if facts.in_recovery {
        let lag = facts.replay_lag_secs.map_or(String::new(), |l| format!(", replay lag {}", secs(l)));
        let of = leader.map_or(String::new(), |(text, _)| format!(" of {text}"));
        format!("replica{of} at {place}, PostgreSQL {}{lag}", facts.version)
    } else {
        let streaming = facts.replicas.len();
        format!("leader at {place}, PostgreSQL {}, {streaming} replica(s) connected", facts.version)
    }
}

/// The PH11 case: the app's URL lands on a replica while it must write.
fn on_replica(
    check: &PostgresCheck,
    here: &Landed,
    place: &str,
    path: &Path,
    leader: Option<&(String, Endpoint)>,
    members: &[MemberReport],
    found: &mut Findings,
) {
    let facts = here.facts;
    let (name, user) = (&check.url_name, &facts.user);
    let leader_text = leader.map_or("unknown".to_string(), |(text, _)| text.clone());
    let mut cause = format!(
        "{name} points at {place}, a replica in recovery: every write fails with {READ_ONLY_ERROR}. The leader is {leader_text}."
    );
    let mut fix = Action::new(
        Priority::Critical,
        format!(
            "Point {name} at the write endpoint (e.g. HAProxy's write port) or the leader{}, or use a libpq multi-host URL with target_session_attrs=read-write",
            leader.map_or(String::new(), |(text, _)| format!(" {text}"))
        ),
    );
    if let Some((_, leader_endpoint)) = leader {
        fix = fix.with_command(suggested_urls(check, facts, leader_endpoint, members));
    }
    // Behind PgBouncer the URL may be right: its [databases] entry picks the server.
    if let Path::Pooler { pgbouncer: true, .. } = path {
        let bouncer = here.endpoint;
        cause.push_str(&format!(
            " PgBouncer at {bouncer} hands this database to the replica: its [databases] entry names the replica's host and port."
        ));
        let leader_named = leader.map_or(String::new(), |(text, _)| format!(" {text}"));
        fix = Action::new(
            Priority::Critical,
            format!(
                "Point the [databases] entry of PgBouncer at {bouncer} at the leader{leader_named}, then reload PgBouncer; or point {name} at a PgBouncer in front of the leader"
            ),
        );
        if let Some((_, leader)) = leader {
            fix = fix.with_command(format!(
                "# pgbouncer.ini\n[databases]\n{db} = host={} port={} dbname={db}\n# then: systemctl reload pgbouncer (or RELOAD; in its admin console)",
                leader.host,
                leader.port,
                db = facts.database
            ));
        }
    }
    // Behind a write endpoint that spreads sessions over the members, the
    // URL may be right: the routing's own actions are the fix, not a new URL.
    let behind_mixed_routing = found.has(codes::ROUTING_MIXED);
    if behind_mixed_routing {
        cause.push_str(&format!(
            " This session landed there through the routing above: other sessions of {name} reach the leader, so fix the routing, not the URL."
        ));
    }
    let mut actions = if behind_mixed_routing { Vec::new() } else { vec![fix] };
    if leader.is_none() {
        // Say why it is unknown, from what was actually observed.
        let mut why = Vec::new();
        if !facts.sees_replication {
            why.push(format!("role {user} cannot see the WAL sender (needs pg_read_all_stats)"));
            actions.push(
                Action::new(Priority::Low, format!("Let kbz-check name the leader: grant {user} pg_monitor"))
                    .with_command(format!("GRANT pg_monitor TO {user};")),
            );
        } else if facts.upstream.as_ref().is_none_or(|u| u.host.is_none()) {
            why.push("the replica has no WAL receiver connected to a leader".to_string());
        }
        if members.is_empty() {
            why.push("no nodes are configured".to_string());
            actions.push(Action::new(Priority::Low, format!("List the cluster's members in {}", check.nodes_name)));
        } else {
            why.push("no member of nodes answered as leader".to_string());
        }
        cause.push_str(&format!(" It could not be found from here: {}.", why.join(", and ")));
    }
    found.fail(
        codes::ON_REPLICA,
        format!("{name} lands on a read-only replica, {place}; leader: {leader_text}"),
        cause,
        actions,
    );
}

/// The connection string aimed at the leader, then the failover-proof
/// multi-host form when the members are known. The password stays masked.
fn suggested_urls(check: &PostgresCheck, facts: &ServerFacts, leader: &Endpoint, members: &[MemberReport]) -> String {
    let tls = match check.params.tls {
        super::TlsMode::Prefer => Vec::new(),
        mode => vec![format!("sslmode={}", mode.name())],
    };
    let url = |hosts: String, mut params: Vec<String>| {
        params.extend(tls.iter().cloned());
        let query = if params.is_empty() { String::new() } else { format!("?{}", params.join("&")) };
        format!("{}=postgresql://{}:***@{hosts}/{}{query}", check.url_name, facts.user, facts.database)
    };
    let mut lines = vec![url(leader.to_string(), Vec::new())];
    // The servers only: a pooler or proxy listed beside them is a path to one of them.
    let servers: Vec<&MemberReport> = members.iter().filter(|m| fronted(m, members).is_none()).collect();
    if servers.len() > 1 {
        let hosts = servers.iter().map(|m| m.member.endpoint.to_string()).collect::<Vec<_>>().join(",");
        lines.push("# or follow the leader through failovers:".to_string());
        lines.push(url(hosts, vec!["target_session_attrs=read-write".to_string()]));
    }
    lines.join("\n")
}

/// The leader as the replica's WAL receiver names it, else the member that is not in recovery.
fn leader_of(facts: &ServerFacts, members: &[MemberReport]) -> Option<(String, Endpoint)> {
    if let Some(u) = &facts.upstream {
        if let (Some(host), Some(port)) = (&u.host, u.port) {
            let endpoint = Endpoint { host: host.clone(), port };
            let named = members
                .iter()
                .find(|m| m.member.endpoint == endpoint || reports_address(m, &endpoint))
                .map(|m| server_of(m, members));
            let text = match named {
                Some(m) => format!("{endpoint} ({})", m.member.name),
                None => endpoint.to_string(),
            };
            return Some((text, endpoint));
        }
    }
    // A pooler or proxy listed as a member leads to its server: the leader is that member.
    members
        .iter()
        .find(|m| m.result.as_ref().is_ok_and(|f| !f.in_recovery))
        .map(|m| server_of(m, members))
        .map(|m| (format!("{} ({})", m.member.endpoint, m.member.name), m.member.endpoint.clone()))
}

/// Whether the member answered with `address` as its own (inet_server_addr/port).
fn reports_address(member: &MemberReport, address: &Endpoint) -> bool {
    member
        .result
        .as_ref()
        .is_ok_and(|f| f.server_addr.as_deref() == Some(address.host.as_str()) && f.server_port == Some(address.port))
}

/// The member the connection string landed on: same host:port as written,
/// or the same server address as the member reports for itself (a proxy, or
/// `nodes` written with other names).
fn member_at<'a>(endpoint: &Endpoint, facts: &ServerFacts, members: &'a [MemberReport]) -> Option<&'a str> {
    let server = match (&facts.server_addr, facts.server_port) {
        (Some(host), Some(port)) => Some(Endpoint { host: host.clone(), port }),
        _ => None,
    };
    // The server's start time names it on any path, a Unix socket behind a pooler included.
    let started = facts.started.as_deref().and_then(|started| members.iter().find(|m| started_at(m) == Some(started)));
    match started {
        Some(m) => Some(server_of(m, members).member.name.as_str()),
        None => member_named(endpoint, server.as_ref(), members),
    }
}

/// [`member_at`], from the host connected to and the server's own address.
/// The server's own address decides first: behind a pooler or a proxy the
/// member is the server, whatever `nodes` calls the address connected to.
/// A member that is itself a path to another ([`fronted`]) never names a
/// server: the member it leads to does.
fn member_named<'a>(endpoint: &Endpoint, server: Option<&Endpoint>, members: &'a [MemberReport]) -> Option<&'a str> {
    let by_server = |matches: &dyn Fn(&MemberReport, &Endpoint) -> bool| {
        server.and_then(|server| members.iter().find(|m| matches(m, server)))
    };
    by_server(&|m, server| m.member.endpoint == *server)
        .or_else(|| by_server(&|m, server| reports_address(m, server)))
        .or_else(|| members.iter().find(|m| m.member.endpoint == *endpoint))
        .map(|m| server_of(m, members).member.name.as_str())
}

/// The member itself, or the member it is a path to.
fn server_of<'a>(member: &'a MemberReport, members: &'a [MemberReport]) -> &'a MemberReport {
    fronted(member, members).map_or(member, |(_, server)| server)
}

/// `pg_postmaster_start_time()` of a member that answered.
fn started_at(member: &MemberReport) -> Option<&str> {
    member.result.as_ref().ok().and_then(|f| f.started.as_deref())
}

/// A member listed in `nodes` that is a path to another member's server
/// (PgBouncer or HAProxy listed beside the servers): what is in between,
/// and the member it leads to. Told by the member's own start-up (a cancel
/// key that is not the backend's, or the server seeing another address),
/// then matched to the member whose server it reaches: the same start time,
/// or, without one, the server's address.
fn fronted<'a>(report: &MemberReport, members: &'a [MemberReport]) -> Option<(&'static str, &'a MemberReport)> {
    let facts = report.result.as_ref().ok()?;
    let path = Path::of(&report.member.endpoint, facts);
    // Positive evidence of something in between: a cancel key to compare.
    let between = match path {
        Path::Pooler { .. } | Path::Forwarder { .. } => path.between()?,
        Path::Direct | Path::Unknown | Path::Elsewhere { .. } => return None,
    };
    let server = path.server();
    members
        .iter()
        .filter(|m| !std::ptr::eq(*m, report) && is_server_itself(m))
        .find(|m| match (facts.started.as_deref(), started_at(m)) {
            (Some(here), Some(there)) => here == there,
            _ => server.is_some_and(|server| m.member.endpoint == *server || reports_address(m, server)),
        })
        .map(|m| (between, m))
}

/// Whether a member may be the server others lead to: it answered with
/// nothing in between shown (or did not answer, when only its listed
/// address can be compared).
fn is_server_itself(member: &MemberReport) -> bool {
    match &member.result {
        Ok(facts) => !matches!(Path::of(&member.member.endpoint, facts), Path::Pooler { .. } | Path::Forwarder { .. }),
        Err(_) => true,
    }
}

/// Where the `path` line's facts come from: the start-up kbz-check read and what the server says.
const PATH_SOURCES: &str = "the start-up's BackendKeyData and ParameterStatus messages; \
SELECT host(inet_server_addr()), inet_server_port(), pg_backend_pid()";
/// Where the `tls` line's facts come from.
const TLS_SOURCES: &str = "the TLS handshake of kbz-check's connection; \
SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()";

/// The ParameterStatus names PgBouncer sends last, in this order, from its
/// own cache of the variables it tracks per client (`varcache_add_params`,
/// after the server's other parameters): PostgreSQL reports them in its own
/// order, where application_name does not come last.
const PGBOUNCER_PARAMETERS: [&str; 5] =
    ["client_encoding", "DateStyle", "TimeZone", "standard_conforming_strings", "application_name"];

/// What lies between kbz-check and the server, from what each end says.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Path {
    /// The server's own address is the one connected to, and its backend
    /// holds the cancel key start-up gave (when it gave one).
    Direct,
    /// Over a Unix socket, or the server gave no address: nothing to compare.
    Unknown,
    /// The cancel key start-up gave is not the server backend's: something
    /// answered start-up itself, as a pooler does.
    Pooler { pgbouncer: bool, server: Option<Endpoint>, key_pid: i32, backend_pid: i32 },
    /// Another address, and the server backend's own cancel key: the bytes
    /// are passed through (a TCP load balancer, a port forward, NAT).
    Forwarder { server: Endpoint, backend_pid: i32 },
    /// Another address, and no cancel key to compare.
    Elsewhere { server: Endpoint },
}

impl Path {
    fn of(endpoint: &Endpoint, facts: &ServerFacts) -> Path {
        let server = match (&facts.server_addr, facts.server_port) {
            (Some(host), Some(port)) => Some(Endpoint { host: host.clone(), port }),
            _ => None,
        };
        let key_pid = facts.wire.startup.key_pid;
        if let (Some(key_pid), Some(backend_pid)) = (key_pid, facts.backend_pid) {
            if key_pid != backend_pid {
                let pgbouncer = facts
                    .wire
                    .startup
                    .parameters
                    .windows(PGBOUNCER_PARAMETERS.len())
                    .any(|w| w == PGBOUNCER_PARAMETERS);
                return Path::Pooler { pgbouncer, server, key_pid, backend_pid };
            }
        }
        let Some(server) = server else { return Path::Unknown };
        let reached = match facts.wire.peer {
            Some(peer) => {
                server.port == peer.port() && server.host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip == peer.ip())
            }
            None => server == *endpoint,
        };
        match (reached, facts.backend_pid.filter(|_| key_pid.is_some())) {
            (true, _) => Path::Direct,
            (false, Some(backend_pid)) => Path::Forwarder { server, backend_pid },
            (false, None) => Path::Elsewhere { server },
        }
    }

    /// Who answers at the URL's address, in a few words.
    fn between(&self) -> Option<&'static str> {
        match self {
            Path::Pooler { pgbouncer: true, .. } => Some("PgBouncer"),
            Path::Pooler { pgbouncer: false, .. } => Some("a pooler"),
            Path::Forwarder { .. } => Some("a forwarder"),
            Path::Elsewhere { .. } => Some("something in between"),
            Path::Direct | Path::Unknown => None,
        }
    }

    fn server(&self) -> Option<&Endpoint> {
        match self {
            Path::Pooler { server, .. } => server.as_ref(),
            Path::Forwarder { server, .. } | Path::Elsewhere { server } => Some(server),
            Path::Direct | Path::Unknown => None,
        }
    }

    /// Where the URL landed, for summaries: the server (with its member
    /// name), then what it was reached through.
    /// `10.0.0.120:5432 (db-postgres-01)`, or `10.0.0.120:5432 (db-postgres-01) via PgBouncer at 10.0.0.10:6432`.
    fn place(&self, endpoint: &Endpoint, member: Option<&str>) -> String {
        let named = |address: String| match member {
            Some(member) => format!("{address} ({member})"),
            None => address,
        };
        match (self.between(), self.server()) {
            (Some(between), Some(server)) => format!("{} via {between} at {endpoint}", named(server.to_string())),
            // The server's address is unknown (a Unix socket behind the pooler): its member name stands for it.
            (Some(between), None) => match member {
                Some(member) => format!("{member} via {between} at {endpoint}"),
                None => format!("{endpoint} (through {between})"),
            },
            (None, _) => named(endpoint.to_string()),
        }
    }

    /// The `path` evidence line.
    fn evidence(&self, endpoint: &Endpoint, facts: &ServerFacts, member: Option<&str>) -> String {
        let server_named = |server: &Endpoint| match member {
            Some(member) => format!("server {member} {server}"),
            None => format!("server {server}"),
        };
        let unknown_server = || match member {
            Some(member) => format!("server {member} (no address: it is reached over a Unix socket)"),
            None => "server (no address: it is reached over a Unix socket)".to_string(),
        };
        match self {
            Path::Direct => {
                let key = match facts.backend_pid {
                    Some(pid) if facts.wire.startup.key_pid.is_some() => {
                        format!(", and the cancel key of the start-up is its own backend's (pid {pid})")
                    }
                    _ => String::new(),
                };
                let member = member.map_or(String::new(), |member| format!(" (member {member})"));
                format!("direct: {endpoint} is the server itself{member}: it reports that address{key}")
            }
            Path::Unknown => match facts.wire.peer {
                None => format!("over the Unix socket {endpoint}: no address to compare"),
                Some(_) => format!("to {endpoint}: the server reports no address of its own, so nothing to compare"),
            },
            Path::Pooler { pgbouncer, server, key_pid, backend_pid } => {
                let to = server.as_ref().map_or_else(unknown_server, server_named);
                // No process id is negative: such a key is random (PgBouncer before 1.21 hands
                // them out so), and its number would only mislead.
                let names = if *key_pid < 0 {
                    "names no process (its process part is negative: a random key, not a process id)".to_string()
                } else {
                    format!("names process {key_pid}")
                };
                let key = format!(
                    "the start-up's cancel key {names}, but the server's backend is pid {backend_pid}: something in between answered the start-up itself, as a connection pooler does"
                );
                if *pgbouncer {
                    format!(
                        "via PgBouncer at {endpoint} → {to}: {key}, and its parameter reports end as PgBouncer's do ({})",
                        PGBOUNCER_PARAMETERS.join(", ")
                    )
                } else {
                    format!("via a pooler at {endpoint} → {to}: {key} (PgBouncer, Pgpool-II, Odyssey, PgCat, a cloud proxy; which one does not show)")
                }
            }
            Path::Forwarder { server, backend_pid } => format!(
                "via a forwarder at {endpoint} → {}: the server sees this session arrive at {server}, not at the URL's {endpoint}, and the start-up's cancel key is the server backend's own (pid {backend_pid}): what is in between passes the start-up through (a TCP load balancer such as HAProxy, a port forward, NAT) rather than answering it as PgBouncer does",
                server_named(server)
            ),
            Path::Elsewhere { server } => format!(
                "the server sees this session arrive at {server}, not at the URL's {endpoint}: something in between forwards it: a pooler, a load balancer, NAT ({})",
                server_named(server)
            ),
        }
    }
}

/// The `tls` evidence line: kbz-check's own connection (the app's side),
/// then what the server sees, labelled as such.
fn tls_evidence(check: &PostgresCheck, endpoint: &Endpoint, facts: &ServerFacts, path: &Path) -> String {
    let mode = check.params.tls.name();
    let app = match &facts.wire.tls {
        Some(tls) => {
            let version = tls.version.unwrap_or("TLS");
            let verified = match (&tls.verified_against, check.params.tls) {
                (Some(against), super::TlsMode::VerifyFull) => {
                    format!("certificate verified against {against} (sslmode=verify-full: chain and host name)")
                }
                (Some(against), _) => {
                    format!("certificate verified against {against} (sslmode=verify-ca: chain only, not the host name)")
                }
                (None, _) => format!("certificate not verified (sslmode={mode} encrypts but accepts any certificate)"),
            };
            let issuer = tls.issuer.as_ref().map_or(String::new(), |issuer| format!(", issued by {issuer}"));
            format!("{version}, {verified}{issuer}")
        }
        None => match check.params.tls {
            super::TlsMode::Disable => "TLS off (sslmode=disable)".to_string(),
            _ if facts.wire.peer.is_none() => {
                format!("TLS off (a Unix socket: libpq does not use TLS there; sslmode={mode})")
            }
            _ => format!("TLS off (sslmode={mode}: the peer declined TLS, so the session went on in plain text)"),
        },
    };
    let server = match (facts.ssl, &facts.ssl_version) {
        (Some(true), Some(version)) => format!("TLS on, {version}"),
        (Some(true), None) => "TLS on".to_string(),
        (Some(false), _) => "TLS off".to_string(),
        (None, _) => "unknown".to_string(),
    };
    let whose = match path {
        Path::Pooler { pgbouncer: true, .. } => "here PgBouncer's",
        Path::Pooler { pgbouncer: false, .. } => "here the pooler's",
        Path::Forwarder { .. } => "this one, passed through",
        Path::Elsewhere { .. } => "through whatever forwards it",
        Path::Direct | Path::Unknown => "this one",
    };
    format!("app side (kbz-check's connection to {endpoint}): {app}\nserver side: {server} (pg_stat_ssl: the session the server sees, {whose})")
}

fn member_findings(check: &PostgresCheck, landed: Option<&Landed>, members: &[MemberReport], found: &mut Findings) {
    if members.is_empty() {
        return;
    }
    let here = landed.and_then(|l| l.member);
    let mut lines = Vec::new();
    // Each server out of recovery once: (the member it is, how it is named).
    let mut leaders: Vec<(&str, String)> = Vec::new();
    for report in members {
        let member = &report.member;
        let is_here = here == Some(member.name.as_str());
        let marker = if is_here { format!("  ← {} lands here", check.url_name) } else { String::new() };
        match (&report.result, fronted(report, members)) {
            // A path to another member: that member's server, told and counted once, there.
            (Ok(facts), Some((between, server))) => {
                let role = if facts.in_recovery { "replica" } else { "leader" };
                if !facts.in_recovery
                    && server.result.is_err()
                    && !leaders.iter().any(|(n, _)| *n == server.member.name)
                {
                    // Its server did not answer directly: this path is how it is seen.
                    leaders.push((
                        &server.member.name,
                        format!("{} ({}, through {})", server.member.name, server.member.endpoint, member.name),
                    ));
                }
                let connects = landed.is_some_and(|l| *l.endpoint == member.endpoint);
                let marker = if connects { format!("  ← {} connects here", check.url_name) } else { String::new() };
                lines.push(format!(
                    "{}  {}  is {between} in front of {} ({role}): a path to that member, not a server of its own{marker}",
                    member.name, member.endpoint, server.member.name
                ));
            }
            (Ok(facts), None) => {
                let role = if facts.in_recovery {
                    format!("replica, replay lag {}", lag_text(facts.replay_lag_secs))
                } else {
                    // The same server listed twice (two addresses, the same start time) counts once.
                    let same = |(name, _): &(&str, String)| {
                        let other = members.iter().find(|m| m.member.name == *name);
                        facts.started.is_some() && other.and_then(started_at) == facts.started.as_deref()
                    };
                    if !leaders.iter().any(same) {
                        leaders.push((&member.name, format!("{} ({})", member.name, member.endpoint)));
                    }
                    "leader".to_string()
                };
                lines.push(format!("{}  {}  {role}{marker}", member.name, member.endpoint));
                // The member the URL lands on had its lag judged already.
                if facts.in_recovery && !is_here {
                    lag_problem(check, &format!("member {}", member.name), facts.replay_lag_secs, found);
                }
            }
            (Err(error), _) => {
                lines.push(format!("{}  {}  unreachable: {error}{marker}", member.name, member.endpoint));
                found.warn(
                    codes::MEMBER_UNREACHABLE,
                    format!("cluster member {} ({}) unreachable", member.name, member.endpoint),
                    format!("member {} at {} did not answer: {error}", member.name, member.endpoint),
                    vec![Action::new(
                        Priority::High,
                        format!("Check PostgreSQL on {} ({})", member.name, member.endpoint),
                    )
                    .with_command("systemctl status postgresql; pg_lsclusters")],
                );
            }
        }
    }
    // A leader outside the listed members still counts towards a split brain.
    let outside = landed.filter(|l| !l.facts.in_recovery && l.member.is_none());
    let outside_text = outside.map(|l| format!("{} (not in nodes)", l.endpoint));
    if let Some(text) = outside_text {
        leaders.push(("", text));
    }
    let leaders: Vec<String> = leaders.into_iter().map(|(_, text)| text).collect();
    found.evidence(
        "cluster members",
        Some(&format!("{} on each member of nodes", probe::IN_RECOVERY)),
        lines.join("\n"),
    );

    let reachable = members.iter().filter(|m| m.result.is_ok()).count();
    if leaders.len() >= 2 {
        found.fail(
            codes::SPLIT_BRAIN,
            format!("split brain: {} members accept writes ({})", leaders.len(), leaders.join(", ")),
            format!(
                "more than one member is out of recovery ({}): each accepts writes, so clients connected to different members write to diverging databases",
                leaders.join(", ")
            ),
            vec![Action::new(
                Priority::Critical,
                "Stop writes to all but the true leader, then rebuild the others as its replicas (pg_rewind or pg_basebackup)",
            )],
        );
    } else if leaders.is_empty() && reachable > 0 && landed.is_none_or(|l| l.facts.in_recovery) {
        found.fail(
            codes::NO_LEADER,
            "no leader among the cluster members".to_string(),
            format!("every member that answered is in recovery: no server accepts writes, so every write fails with {READ_ONLY_ERROR}"),
            vec![Action::new(Priority::Critical, "Promote the most advanced replica (or let the HA manager do it)")
                .with_command("pg_ctl promote -D <data directory>   # or: SELECT pg_promote();")],
        );
    }
}

fn lag_problem(check: &PostgresCheck, who: &str, lag: Option<f64>, found: &mut Findings) {
    let max = check.max_lag.as_secs_f64();
    if let Some(lag) = lag.filter(|l| *l > max) {
        found.warn(
            codes::LAG_OVER_MAX,
            format!("{who} lags {} behind (max_lag {})", secs(lag), secs(max)),
            format!("{who} replays {} behind the leader, over max_lag = {}: reads there see stale data, and a failover to it loses recent writes", secs(lag), secs(max)),
            vec![Action::new(Priority::Medium, format!("Find why {who} falls behind (network, disk, long queries on it)"))],
        );
    }
}

fn replica_line(r: &probe::ReplicaRow) -> String {
    let field = |v: &Option<String>| v.clone().unwrap_or_else(|| "?".to_string());
    format!(
        "{}  {}  {}  {}  replay lag {}",
        field(&r.addr),
        field(&r.name),
        field(&r.state),
        field(&r.sync_state),
        lag_text(r.replay_lag_secs)
    )
}

fn lag_text(lag: Option<f64>) -> String {
    lag.map_or("unknown".to_string(), secs)
}

fn secs(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}s")
    } else {
        format!("{value:.1}s")
    }
}

#[cfg(test)]
mod tests {
    use super::super::guard::Violation;
    use super::super::{ConnParams, ConnectError, HeldAt, Limit, Member, PoolerRefusal, Rejection, Upstream};
    use super::*;
    use crate::code::Code;
    use crate::http::TlsProblem;
    use crate::report::Status;
    use std::time::Duration;

    fn check(expect: Expect, members: &[(&str, &str)]) -> PostgresCheck {
        PostgresCheck {
            params: ConnParams::parse("postgresql://app:pw@10.0.0.122:5432/keybuzz", &Default::default()).unwrap(),
            url_name: "DATABASE_URL".into(),
            password_name: "DATABASE_URL".into(),
            nodes_name: "KBZ_PG_NODES".into(),
            expect,
            members: members
                .iter()
                .map(|(name, addr)| Member { name: name.to_string(), endpoint: Endpoint::parse(addr).unwrap() })
                .collect(),
            max_lag: Duration::from_secs(30),
            sessions: 5,
        }
    }

    fn facts(in_recovery: bool) -> ServerFacts {
        ServerFacts {
            in_recovery,
            transaction_read_only: if in_recovery { "on" } else { "off" }.into(),
            default_transaction_read_only: "off".into(),
            server_addr: Some("10.0.0.122".into()),
            server_port: Some(5432),
            version: "15.18".into(),
            user: "app".into(),
            database: "keybuzz".into(),
            ssl: Some(false),
            write_probe: WriteProbe::Accepted,
            ..ServerFacts::default()
        }
    }

    fn landed(facts: ServerFacts) -> Landing {
        Landing::Connected {
            endpoint: Endpoint::parse("10.0.0.122:5432").unwrap(),
            passed_over: vec![],
            facts: Box::new(facts),
        }
    }

    fn codes_of(outcome: &Outcome) -> Vec<Code> {
        outcome.findings.iter().map(|f| f.code).collect()
    }

    fn member(name: &str, addr: &str, result: Result<ServerFacts, &str>) -> MemberReport {
        MemberReport {
            member: Member { name: name.into(), endpoint: Endpoint::parse(addr).unwrap() },
            result: result.map_err(str::to_string),
        }
    }

    #[test]
    fn replica_when_leader_expected_is_critical_and_names_the_leader() {
        let c = check(Expect::Leader, &[]);
        let members = [
            member("db-postgres-01", "10.0.0.120:5432", Ok(facts(false))),
            member("db-postgres-03", "10.0.0.122:5432", Ok(facts(true))),
        ];
        let outcome = diagnose(&c, &landed(facts(true)), &members, &[]);
        assert_eq!(outcome.status, Status::Fail);
        assert_eq!(codes_of(&outcome), [codes::ON_REPLICA]);
        assert_eq!(outcome.findings[0].summary, outcome.summary);
        assert_eq!(
            outcome.summary,
            "DATABASE_URL lands on a read-only replica, 10.0.0.122:5432 (db-postgres-03); leader: 10.0.0.120:5432 (db-postgres-01)"
        );
        assert!(outcome.causes.join("\n").contains("SQLSTATE 25006"));
        assert_eq!(outcome.actions[0].priority, Priority::Critical);
        let command = outcome.actions[0].command.clone().unwrap();
        assert!(command.starts_with("DATABASE_URL=postgresql://app:***@10.0.0.120:5432/keybuzz"), "{command}");
        assert!(
            command.contains("10.0.0.120:5432,10.0.0.122:5432/keybuzz?target_session_attrs=read-write"),
            "{command}"
        );
    }

    #[test]
    fn leader_named_by_the_wal_receiver_without_members() {
        let mut replica = facts(true);
        replica.upstream =
            Some(Upstream { status: Some("streaming".into()), host: Some("10.0.0.120".into()), port: Some(5432) });
        let outcome = diagnose(&check(Expect::Leader, &[]), &landed(replica), &[], &[]);
        assert!(outcome.summary.ends_with("leader: 10.0.0.120:5432"), "{}", outcome.summary);
        assert_eq!(outcome.actions.len(), 1, "no grant advice when the leader is known");
    }

    #[test]
    fn read_only_sessions_on_the_leader_fail() {
        let mut leader = facts(false);
        leader.transaction_read_only = "on".into();
        leader.default_transaction_read_only = "on".into();
        let outcome = diagnose(&check(Expect::Leader, &[]), &landed(leader), &[], &[]);
        assert_eq!(outcome.status, Status::Fail);
        assert!(outcome.summary.starts_with("sessions on the leader"), "{}", outcome.summary);
        assert_eq!(codes_of(&outcome), [codes::READ_ONLY_SESSIONS]);
        assert!(outcome.actions[0]
            .command
            .as_deref()
            .unwrap()
            .contains("ALTER ROLE app RESET default_transaction_read_only"));
    }

    #[test]
    fn expectations_replica_and_any() {
        let on_leader = diagnose(&check(Expect::Replica, &[]), &landed(facts(false)), &[], &[]);
        assert_eq!(on_leader.status, Status::Warn);
        assert_eq!(codes_of(&on_leader), [codes::ON_LEADER]);
        for fine in [
            diagnose(&check(Expect::Any, &[]), &landed(facts(true)), &[], &[]),
            diagnose(&check(Expect::Replica, &[]), &landed(facts(true)), &[], &[]),
        ] {
            assert_eq!(fine.status, Status::Ok);
            assert!(fine.findings.is_empty(), "an ok outcome has no finding: {:?}", fine.findings);
        }
    }

    #[test]
    fn two_leaders_among_members_is_a_split_brain() {
        let mut other = facts(false);
        other.server_addr = Some("10.0.0.120".into());
        let members = [
            member("db-postgres-01", "10.0.0.120:5432", Ok(other)),
            member("db-postgres-03", "10.0.0.122:5432", Ok(facts(false))),
        ];
        let outcome = diagnose(&check(Expect::Leader, &[]), &landed(facts(false)), &members, &[]);
        assert_eq!(outcome.status, Status::Fail);
        assert_eq!(
            outcome.summary,
            "split brain: 2 members accept writes (db-postgres-01 (10.0.0.120:5432), db-postgres-03 (10.0.0.122:5432))"
        );
        assert_eq!(codes_of(&outcome), [codes::SPLIT_BRAIN]);
    }

    #[test]
    fn a_leader_outside_the_members_counts_towards_a_split_brain() {
        let members = [member("db-postgres-01", "10.0.0.120:5432", Ok(facts(false)))];
        let mut elsewhere = facts(false);
        elsewhere.server_addr = Some("10.0.0.99".into());
        let landing = Landing::Connected {
            endpoint: Endpoint::parse("10.0.0.99:5432").unwrap(),
            passed_over: vec![],
            facts: Box::new(elsewhere),
        };
        let outcome = diagnose(&check(Expect::Leader, &[]), &landing, &members, &[]);
        assert!(outcome.summary.starts_with("split brain"), "{}", outcome.summary);
    }

    #[test]
    fn no_leader_among_members_fails() {
        let members =
            [member("a", "10.0.0.120:5432", Ok(facts(true))), member("b", "10.0.0.122:5432", Ok(facts(true)))];
        let outcome = diagnose(&check(Expect::Any, &[]), &landed(facts(true)), &members, &[]);
        assert_eq!(outcome.status, Status::Fail);
        assert_eq!(outcome.summary, "no leader among the cluster members");
        assert_eq!(codes_of(&outcome), [codes::NO_LEADER]);
    }

    #[test]
    fn unreachable_member_warns_and_lag_over_max_warns() {
        let mut lagging = facts(true);
        lagging.replay_lag_secs = Some(95.0);
        let members = [
            member("db-postgres-01", "10.0.0.120:5432", Ok(facts(false))),
            member("db-postgres-02", "10.0.0.121:5432", Err("connection refused by 10.0.0.121:5432")),
            member("db-postgres-03", "10.0.0.122:5432", Ok(lagging)),
        ];
        let mut leader = facts(false);
        leader.server_addr = Some("10.0.0.120".into());
        let landing = Landing::Connected {
            endpoint: Endpoint::parse("10.0.0.120:5432").unwrap(),
            passed_over: vec![],
            facts: Box::new(leader),
        };
        let outcome = diagnose(&check(Expect::Leader, &[]), &landing, &members, &[]);
        assert_eq!(outcome.status, Status::Warn);
        assert_eq!(codes_of(&outcome), [codes::MEMBER_UNREACHABLE, codes::LAG_OVER_MAX]);
        let cause = outcome.causes.join("\n");
        assert!(cause.contains("member db-postgres-02 at 10.0.0.121:5432 did not answer"), "{cause}");
        assert!(cause.contains("member db-postgres-03 replays 95s behind"), "{cause}");
        let members_evidence = outcome.evidence.iter().find(|e| e.label == "cluster members").unwrap();
        assert!(members_evidence.output.contains("db-postgres-01  10.0.0.120:5432  leader  ← DATABASE_URL lands here"));
    }

    #[test]
    fn connection_failures_are_named_by_cause() {
        let c = check(Expect::Leader, &[]);
        let fail = |error: ConnectError| {
            let outcome = diagnose(&c, &Landing::ConnectFailed { error, passed_over: vec![] }, &[], &[]);
            assert_eq!(outcome.status, Status::Fail);
            assert_eq!(
                outcome.actions[0].priority,
                if outcome.summary.starts_with("TLS") { Priority::High } else { Priority::Critical }
            );
            outcome.summary
        };
        assert_eq!(
            fail(ConnectError::Dns { host: "db.internal".into(), detail: "x".into() }),
            "cannot resolve db.internal"
        );
        assert_eq!(
            fail(ConnectError::Refused { endpoint: "10.0.0.122:5432".into() }),
            "connection refused by 10.0.0.122:5432"
        );
        assert_eq!(fail(ConnectError::BadPassword { user: "app".into() }), "password rejected for role app");
        assert_eq!(fail(ConnectError::UnknownDatabase { database: "kb".into() }), "database kb does not exist");
        assert_eq!(
            fail(ConnectError::Rejected { message: "role \"x\" does not exist".into(), why: Rejection::NoSuchRole }),
            "login rejected: role \"x\" does not exist"
        );
        assert_eq!(
            fail(ConnectError::Tls {
                endpoint: "h:1".into(),
                detail: "d".into(),
                problem: TlsProblem::Untrusted,
                issuer: None
            }),
            "TLS with h:1 failed"
        );
    }

    #[test]
    fn a_peer_that_is_not_postgres_is_named_with_its_own_bytes() {
        let c = check(Expect::Leader, &[]);
        let not_postgres = |violation: Violation| {
            let error = ConnectError::NotPostgres { endpoint: "10.0.0.9:5432".into(), violation };
            let outcome = diagnose(&c, &Landing::ConnectFailed { error, passed_over: vec![] }, &[], &[]);
            assert_eq!(outcome.status, Status::Fail);
            assert_eq!(outcome.actions[0].priority, Priority::Critical);
            (outcome.summary, outcome.causes.join("\n"))
        };
        let error = ConnectError::NotPostgres {
            endpoint: "10.0.0.9:5432".into(),
            violation: Violation::Undersized { length: 2 },
        };
        let outcome = diagnose(&c, &Landing::ConnectFailed { error, passed_over: vec![] }, &[], &[]);
        assert_eq!(codes_of(&outcome), [codes::NOT_POSTGRES]);
        let (summary, cause) = not_postgres(Violation::Unexpected(b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec()));
        assert_eq!(
            summary,
            "10.0.0.9:5432 is not a PostgreSQL server: it answered \"HTTP/1.1 400 Bad Request\\r\\n\\r\\n\""
        );
        assert!(cause.ends_with("\": an HTTP server"), "{cause}");
        let (summary, cause) = not_postgres(Violation::Oversized { length: 0x7fff_ffff, in_startup: true });
        assert_eq!(summary, "10.0.0.9:5432 is not a PostgreSQL server: it announced a 2 GiB message during start-up");
        assert!(cause.ends_with("accepts no message over 1 MiB"), "{cause}");
    }
    #[test]
    fn an_untrusted_certificate_names_its_issuer_for_root_causes() {
        let c = check(Expect::Leader, &[]);
        let error = ConnectError::Tls {
            endpoint: "db:5432".into(),
            detail: "invalid peer certificate: UnknownIssuer".into(),
            problem: TlsProblem::Untrusted,
            issuer: Some("CN=Corp CA".into()),
        };
        let outcome = diagnose(&c, &Landing::ConnectFailed { error, passed_over: vec![] }, &[], &[]);
        assert_eq!(codes_of(&outcome), [codes::TLS_UNTRUSTED]);
        assert_eq!(outcome.findings[0].issuer.as_deref(), Some("CN=Corp CA"));
        assert!(outcome.causes.join("\n").ends_with("UnknownIssuer (its certificate's issuer: CN=Corp CA)"));
        let expired = ConnectError::Tls {
            endpoint: "db:5432".into(),
            detail: "invalid peer certificate: Expired".into(),
            problem: TlsProblem::Expired,
            issuer: None,
        };
        let outcome = diagnose(&c, &Landing::ConnectFailed { error: expired, passed_over: vec![] }, &[], &[]);
        assert_eq!(outcome.findings[0].issuer, None);
    }

    #[test]
    fn each_connection_failure_has_its_code() {
        use std::io::ErrorKind;
        let c = check(Expect::Leader, &[]);
        let code = |error: ConnectError| {
            let outcome = diagnose(&c, &Landing::ConnectFailed { error, passed_over: vec![] }, &[], &[]);
            assert_eq!(outcome.findings.len(), 1, "{:?}", outcome.findings);
            assert_eq!(outcome.findings[0].status, Status::Fail);
            outcome.findings[0].code
        };
        let network = |kind| ConnectError::Network { endpoint: "10.0.0.9:5432".into(), detail: "d".into(), kind };
        let tls = |problem| ConnectError::Tls { endpoint: "h:1".into(), detail: "d".into(), problem, issuer: None };
        let rejected = |why| ConnectError::Rejected { message: "m".into(), why };
        let too_many = |limit| ConnectError::TooManyConnections { message: "m".into(), limit };
        let pooler = |refusal| ConnectError::Pooler { code: "08P01".into(), message: "m".into(), refusal };
        let held = |at| ConnectError::LoginHeld { endpoint: "h:1".into(), waited: "8s".into(), at };
        let cases = [
            (ConnectError::Dns { host: "db.invalid".into(), detail: "x".into() }, codes::UNREACHABLE_DNS),
            (ConnectError::Refused { endpoint: "h:1".into() }, codes::UNREACHABLE_REFUSED),
            (network(ErrorKind::TimedOut), codes::UNREACHABLE_TIMEOUT),
            (network(ErrorKind::HostUnreachable), codes::UNREACHABLE_NO_ROUTE),
            (network(ErrorKind::NetworkUnreachable), codes::UNREACHABLE_NO_ROUTE),
            (network(ErrorKind::ConnectionReset), codes::UNREACHABLE_NETWORK),
            (ConnectError::TlsNotOffered { endpoint: "h:1".into() }, codes::TLS_NOT_OFFERED),
            (tls(TlsProblem::Untrusted), codes::TLS_UNTRUSTED),
            (tls(TlsProblem::Expired), codes::TLS_EXPIRED),
            (tls(TlsProblem::NotYetValid), codes::TLS_NOT_YET_VALID),
            (tls(TlsProblem::WrongName), codes::TLS_NAME_MISMATCH),
            (tls(TlsProblem::BadCertificate), codes::TLS_BAD_CERTIFICATE),
            (tls(TlsProblem::Other), codes::TLS_HANDSHAKE_FAILED),
            (ConnectError::TlsSetup { detail: "d".into() }, codes::TLS_SETUP_FAILED),
            (ConnectError::BadPassword { user: "app".into() }, codes::AUTH_PASSWORD_REJECTED),
            (ConnectError::NoPassword, codes::AUTH_PASSWORD_MISSING),
            (rejected(Rejection::NoHbaEntry), codes::AUTH_LOGIN_REJECTED),
            (rejected(Rejection::CannotLogin), codes::AUTH_LOGIN_REJECTED),
            (rejected(Rejection::Unknown), codes::AUTH_LOGIN_REJECTED),
            (rejected(Rejection::HbaReject), codes::AUTH_HBA_REJECT),
            (rejected(Rejection::NoSuchRole), codes::AUTH_ROLE_MISSING),
            (too_many(Limit::Server), codes::CONNECTIONS_SERVER_FULL),
            (too_many(Limit::Reserved), codes::CONNECTIONS_SERVER_FULL),
            (too_many(Limit::Role), codes::CONNECTIONS_ROLE_LIMIT),
            (too_many(Limit::Database), codes::CONNECTIONS_DATABASE_LIMIT),
            (too_many(Limit::Unknown), codes::SESSION_REFUSED),
            (pooler(PoolerRefusal::Password), codes::AUTH_PASSWORD_REJECTED),
            (pooler(PoolerRefusal::UnknownDatabase), codes::POOLER_DATABASE_UNKNOWN),
            (pooler(PoolerRefusal::ServerDown), codes::POOLER_SERVER_DOWN),
            (pooler(PoolerRefusal::WaitTimeout), codes::POOLER_WAIT_TIMEOUT),
            (pooler(PoolerRefusal::ClientLimit), codes::POOLER_POOL_FULL),
            (held(HeldAt::Password), codes::POOLER_LOGIN_HELD),
            (held(HeldAt::FirstQuery), codes::POOLER_LOGIN_HELD),
            (ConnectError::UnknownDatabase { database: "kb".into() }, codes::DATABASE_MISSING),
            (ConnectError::NoReadWriteHost, codes::ON_REPLICA_ALL_HOSTS),
            (ConnectError::Server { code: "53300".into(), message: "too many".into() }, codes::SESSION_REFUSED),
            (ConnectError::Protocol { detail: "d".into() }, codes::PROTOCOL_ERROR),
        ];
        for (error, expected) in cases {
            let shown = error.to_string();
            assert_eq!(code(error), expected, "{shown}");
        }
        // The root-cause rule on a replica keys on the family.
        assert!(codes::ON_REPLICA_ALL_HOSTS.is_in(codes::ON_REPLICA.as_str()));
    }

    #[test]
    fn a_failed_status_query_and_replicas_not_streaming_are_coded() {
        let landing = Landing::QueryFailed { endpoint: Endpoint::parse("10.0.0.122:5432").unwrap(), error: "e".into() };
        assert_eq!(codes_of(&diagnose(&check(Expect::Leader, &[]), &landing, &[], &[])), [codes::QUERY_FAILED]);

        let mut replica = facts(true);
        replica.upstream = Some(Upstream { status: Some("waiting".into()), host: None, port: None });
        replica.replay_lag_secs = Some(120.0);
        let outcome = diagnose(&check(Expect::Replica, &[]), &landed(replica), &[], &[]);
        assert_eq!(outcome.status, Status::Warn);
        assert_eq!(codes_of(&outcome), [codes::REPLICA_NOT_STREAMING, codes::LAG_OVER_MAX]);

        let mut leader = facts(false);
        leader.replicas = vec![probe::ReplicaRow {
            addr: Some("10.0.0.121".into()),
            name: Some("db-postgres-02".into()),
            state: Some("catchup".into()),
            sync_state: Some("async".into()),
            replay_lag_secs: None,
        }];
        let outcome = diagnose(&check(Expect::Leader, &[]), &landed(leader), &[], &[]);
        assert_eq!(codes_of(&outcome), [codes::REPLICA_NOT_STREAMING], "the same diagnosis seen from the leader");
    }

    /// The app's URL through a proxy at 10.0.0.10:5432, its first session on
    /// the leader 10.0.0.120, with members db-postgres-01 (.120) and -03 (.122).
    fn through_proxy(expect: Expect) -> (PostgresCheck, Landing, Vec<MemberReport>) {
        let mut c = check(expect, &[]);
        c.params = ConnParams::parse("postgresql://app:pw@10.0.0.10:5432/keybuzz", &Default::default()).unwrap();
        let mut leader = facts(false);
        leader.server_addr = Some("10.0.0.120".into());
        let mut replica = facts(true);
        replica.server_addr = Some("10.0.0.122".into());
        let members = vec![
            member("db-postgres-01", "10.0.0.120:5432", Ok(leader.clone())),
            member("db-postgres-03", "10.0.0.122:5432", Ok(replica)),
        ];
        let landing = Landing::Connected {
            endpoint: Endpoint::parse("10.0.0.10:5432").unwrap(),
            passed_over: vec![],
            facts: Box::new(leader),
        };
        (c, landing, members)
    }

    fn sampled(server: &str, in_recovery: bool) -> Sample {
        Ok(super::super::SessionPlace {
            endpoint: Endpoint::parse("10.0.0.10:5432").unwrap(),
            server: Some(Endpoint::parse(server).unwrap()),
            in_recovery,
        })
    }

    fn round_robin() -> Vec<Sample> {
        vec![
            sampled("10.0.0.122:5432", true),
            sampled("10.0.0.120:5432", false),
            sampled("10.0.0.122:5432", true),
            sampled("10.0.0.120:5432", false),
        ]
    }

    #[test]
    fn sessions_on_leader_and_replica_fail_as_mixed_routing_naming_the_members() {
        let (c, landing, members) = through_proxy(Expect::Leader);
        let outcome = diagnose(&c, &landing, &members, &round_robin());
        assert_eq!(outcome.status, Status::Fail);
        assert_eq!(codes_of(&outcome), [codes::ROUTING_MIXED]);
        assert_eq!(outcome.summary, "2 of 5 sessions land on a replica: writes fail intermittently with 25006");
        let routing = outcome.evidence.iter().find(|e| e.label == "routing").unwrap();
        assert_eq!(
            routing.output,
            "5 sessions through 10.0.0.10:5432: 3 on db-postgres-01 10.0.0.120:5432 (leader), 2 on db-postgres-03 10.0.0.122:5432 (replica)"
        );
        assert_eq!(routing.command.as_deref(), Some(probe::LANDING));
        let cause = outcome.causes.join("\n");
        assert!(cause.contains("Sessions on db-postgres-03 10.0.0.122:5432 are read-only"), "{cause}");
        assert!(cause.contains("SQLSTATE 25006") && cause.contains("whatever answers at 10.0.0.10:5432"), "{cause}");
        assert_eq!(outcome.actions[0].priority, Priority::Critical);
        let config = outcome.actions[0].command.as_deref().unwrap();
        assert!(config.contains("option httpchk GET /primary"), "{config}");
        assert!(config.contains("server db-postgres-01 10.0.0.120:5432 check port 8008"), "{config}");
        assert!(config.contains("server db-postgres-03 10.0.0.122:5432 check port 8008"), "{config}");
        assert_eq!(outcome.actions[1].priority, Priority::High);
        assert_eq!(
            outcome.actions[1].command.as_deref(),
            Some("for i in 1 2 3 4 5 6; do psql \"$DATABASE_URL\" -XAtc 'SELECT inet_server_addr(), inet_server_port(), pg_is_in_recovery()'; done")
        );
    }

    /// The app's first session, through the proxy at 10.0.0.10, on the replica 10.0.0.122.
    fn first_session_on_the_replica() -> Landing {
        let mut replica = facts(true);
        replica.server_addr = Some("10.0.0.122".into());
        Landing::Connected {
            endpoint: Endpoint::parse("10.0.0.10:5432").unwrap(),
            passed_over: vec![],
            facts: Box::new(replica),
        }
    }

    #[test]
    fn a_first_session_on_the_replica_keeps_its_finding_after_the_routing() {
        let (c, _, members) = through_proxy(Expect::Leader);
        let landing = first_session_on_the_replica();
        let outcome = diagnose(&c, &landing, &members, &round_robin());
        assert_eq!(codes_of(&outcome), [codes::ROUTING_MIXED, codes::ON_REPLICA]);
        assert_eq!(outcome.summary, "3 of 5 sessions land on a replica: writes fail intermittently with 25006");
        // The URL is the write endpoint: no action asks to point it elsewhere.
        assert!(outcome.actions.iter().all(|a| !a.text.starts_with("Point ")), "{:#?}", outcome.actions);
        assert!(outcome.causes[1].ends_with("so fix the routing, not the URL."), "{:#?}", outcome.causes);
    }

    #[test]
    fn sessions_that_all_land_where_the_first_did_add_only_evidence() {
        let (c, landing, members) = through_proxy(Expect::Leader);
        let samples = vec![sampled("10.0.0.120:5432", false); 4];
        let outcome = diagnose(&c, &landing, &members, &samples);
        assert_eq!(outcome.status, Status::Ok, "{:?}", outcome.findings);
        let routing = outcome.evidence.iter().find(|e| e.label == "routing").unwrap();
        assert_eq!(routing.output, "5 sessions through 10.0.0.10:5432: 5 on db-postgres-01 10.0.0.120:5432 (leader)");
        // One session only: nothing sampled, no routing evidence.
        let outcome = diagnose(&c, &landing, &members, &[]);
        assert!(outcome.evidence.iter().all(|e| e.label != "routing"));
    }

    #[test]
    fn mixed_routing_warns_for_a_replica_url_and_is_only_shown_for_any() {
        let (c, _, members) = through_proxy(Expect::Replica);
        let landing = first_session_on_the_replica();
        let outcome = diagnose(&c, &landing, &members, &round_robin());
        assert_eq!(outcome.status, Status::Warn);
        assert_eq!(codes_of(&outcome), [codes::ROUTING_MIXED]);
        assert_eq!(outcome.summary, "2 of 5 sessions land on the leader, not on a replica");
        assert!(outcome.actions[0].command.as_deref().unwrap().contains("GET /replica"));

        let (c, landing, members) = through_proxy(Expect::Any);
        let outcome = diagnose(&c, &landing, &members, &round_robin());
        assert_eq!(outcome.status, Status::Ok);
        assert!(outcome.evidence.iter().any(|e| e.label == "routing"));
    }

    #[test]
    fn sessions_that_do_not_open_are_shown_and_fail_only_when_none_does() {
        let (c, landing, members) = through_proxy(Expect::Leader);
        let refused = || Err("connection refused by 10.0.0.10:5432".to_string());
        let samples = vec![sampled("10.0.0.120:5432", false), refused(), sampled("10.0.0.120:5432", false), refused()];
        let outcome = diagnose(&c, &landing, &members, &samples);
        assert_eq!(outcome.status, Status::Ok, "{:?}", outcome.findings);
        let routing = outcome.evidence.iter().find(|e| e.label == "routing").unwrap();
        assert_eq!(
            routing.output,
            "5 sessions through 10.0.0.10:5432: 3 on db-postgres-01 10.0.0.120:5432 (leader)\n\
             1 did not open: connection refused by 10.0.0.10:5432\n\
             1 did not open: connection refused by 10.0.0.10:5432"
        );

        let too_many = || Err("sorry, too many clients already (SQLSTATE 53300)".to_string());
        let outcome = diagnose(&c, &landing, &members, &[too_many(), too_many()]);
        assert_eq!(outcome.status, Status::Fail);
        // The limit the refusals name is the diagnosis (routing.sessions_failed before it was read).
        assert_eq!(codes_of(&outcome), [codes::CONNECTIONS_SERVER_FULL]);
        assert_eq!(
            outcome.summary,
            "only 1 of 3 sessions opens through DATABASE_URL: sorry, too many clients already (SQLSTATE 53300)"
        );
    }

    #[test]
    fn without_members_the_places_are_the_servers_addresses() {
        let (c, landing, _) = through_proxy(Expect::Leader);
        let outcome = diagnose(&c, &landing, &[], &round_robin());
        assert_eq!(codes_of(&outcome), [codes::ROUTING_MIXED]);
        let routing = outcome.evidence.iter().find(|e| e.label == "routing").unwrap();
        assert_eq!(
            routing.output,
            "5 sessions through 10.0.0.10:5432: 3 on 10.0.0.120:5432 (leader), 2 on 10.0.0.122:5432 (replica)"
        );
        let config = outcome.actions[0].command.as_deref().unwrap();
        assert!(
            config.contains("server pg1 10.0.0.120:5432") && config.contains("server pg2 10.0.0.122:5432"),
            "{config}"
        );
    }

    /// A session through a pooler or a proxy at 10.0.0.10:6432 to the server
    /// at `server`, its start-up as `key_pid` and `parameters` say.
    fn through(server: &str, key_pid: i32, backend_pid: i32, parameters: &[&str], in_recovery: bool) -> Landing {
        let server = Endpoint::parse(server).unwrap();
        let mut facts = facts(in_recovery);
        facts.server_addr = Some(server.host.clone());
        facts.server_port = Some(server.port);
        facts.backend_pid = Some(backend_pid);
        facts.wire.peer = Some("10.0.0.10:6432".parse().unwrap());
        facts.wire.startup.key_pid = Some(key_pid);
        facts.wire.startup.parameters = parameters.iter().map(|p| p.to_string()).collect();
        Landing::Connected {
            endpoint: Endpoint::parse("10.0.0.10:6432").unwrap(),
            passed_over: vec![],
            facts: Box::new(facts),
        }
    }

    /// As PostgreSQL 15 reports them, then as PgBouncer 1.18 passes them on.
    const POSTGRES_PARAMETERS: [&str; 13] = [
        "application_name",
        "client_encoding",
        "DateStyle",
        "default_transaction_read_only",
        "in_hot_standby",
        "integer_datetimes",
        "IntervalStyle",
        "is_superuser",
        "server_encoding",
        "server_version",
        "session_authorization",
        "standard_conforming_strings",
        "TimeZone",
    ];
    const PGBOUNCER_SENDS: [&str; 13] = [
        "default_transaction_read_only",
        "in_hot_standby",
        "integer_datetimes",
        "IntervalStyle",
        "is_superuser",
        "server_encoding",
        "server_version",
        "session_authorization",
        "client_encoding",
        "DateStyle",
        "TimeZone",
        "standard_conforming_strings",
        "application_name",
    ];

    fn evidence_of(outcome: &Outcome, label: &str) -> String {
        let item = outcome.evidence.iter().find(|e| e.label == label);
        item.unwrap_or_else(|| panic!("no `{label}` in {:#?}", outcome.evidence)).output.clone()
    }

    /// The app's session through PgBouncer at 10.0.0.10:6432 to the leader
    /// db-postgres-01: ok, and the summary names both.
    fn ok_through_pgbouncer(c: &PostgresCheck, members: &[MemberReport]) -> Outcome {
        let landing = through("10.0.0.120:5432", 1_939_425_512, 4242, &PGBOUNCER_SENDS, false);
        let outcome = diagnose(c, &landing, members, &[]);
        assert_eq!(outcome.status, Status::Ok, "{:?}", outcome.findings);
        assert!(
            outcome.summary.starts_with("leader at 10.0.0.120:5432 (db-postgres-01) via PgBouncer at 10.0.0.10:6432,"),
            "{}",
            outcome.summary
        );
        outcome
    }

    #[test]
    fn pgbouncer_is_named_with_its_address_and_the_member_belongs_to_the_server() {
        let c = check(Expect::Leader, &[("db-postgres-01", "10.0.0.120:5432")]);
        let members = [member("db-postgres-01", "10.0.0.120:5432", Ok(facts(false)))];
        let outcome = ok_through_pgbouncer(&c, &members);
        let path = evidence_of(&outcome, "path");
        assert!(
            path.starts_with(
                "via PgBouncer at 10.0.0.10:6432 → server db-postgres-01 10.0.0.120:5432: the start-up's cancel key names process 1939425512, but the server's backend is pid 4242"
            ),
            "{path}"
        );
        let tls = evidence_of(&outcome, "tls");
        assert!(
            tls.ends_with("\nserver side: TLS off (pg_stat_ssl: the session the server sees, here PgBouncer's)"),
            "{tls}"
        );
        assert!(
            tls.starts_with("app side (kbz-check's connection to 10.0.0.10:6432): TLS off (sslmode=prefer"),
            "{tls}"
        );
    }

    /// PgBouncer before 1.21 hands out random keys whose process part may be
    /// negative: no process has such an id, so none is named.
    #[test]
    fn a_negative_cancel_key_names_no_process() {
        let c = check(Expect::Leader, &[]);
        let landing = through("10.0.0.120:5432", -1_939_425_512, 4242, &PGBOUNCER_SENDS, false);
        let path = evidence_of(&diagnose(&c, &landing, &[], &[]), "path");
        assert!(
            path.starts_with(
                "via PgBouncer at 10.0.0.10:6432 → server 10.0.0.120:5432: the start-up's cancel key names no process (its process part is negative: a random key, not a process id), but the server's backend is pid 4242"
            ),
            "{path}"
        );
        assert!(!path.contains("1939425512"), "{path}");
    }

    #[test]
    fn another_pooler_is_a_pooler_without_a_name() {
        let c = check(Expect::Leader, &[]);
        let outcome = diagnose(&c, &through("10.0.0.120:5432", 77, 4242, &POSTGRES_PARAMETERS, false), &[], &[]);
        let path = evidence_of(&outcome, "path");
        assert!(path.starts_with("via a pooler at 10.0.0.10:6432 → server 10.0.0.120:5432: "), "{path}");
        assert!(path.contains("which one does not show") && !path.contains("via PgBouncer"), "{path}");
        assert!(outcome.summary.contains("10.0.0.120:5432 via a pooler at 10.0.0.10:6432"), "{}", outcome.summary);
        assert!(evidence_of(&outcome, "tls").contains("here the pooler's"));
    }

    #[test]
    fn a_forwarder_passes_the_servers_own_key_and_is_not_called_a_pooler() {
        let c = check(Expect::Leader, &[("db-postgres-01", "10.0.0.120:5432")]);
        let members = [member("db-postgres-01", "10.0.0.120:5432", Ok(facts(false)))];
        let outcome = diagnose(&c, &through("10.0.0.120:5432", 4242, 4242, &POSTGRES_PARAMETERS, false), &members, &[]);
        let path = evidence_of(&outcome, "path");
        assert!(
            path.starts_with("via a forwarder at 10.0.0.10:6432 → server db-postgres-01 10.0.0.120:5432: the server sees this session arrive at 10.0.0.120:5432, not at the URL's 10.0.0.10:6432"),
            "{path}"
        );
        assert!(
            path.contains("rather than answering it as PgBouncer does") && !path.starts_with("via PgBouncer"),
            "{path}"
        );
        // Without a cancel key to compare, only what was seen is said.
        let mut landing = through("10.0.0.120:5432", 4242, 4242, &[], false);
        if let Landing::Connected { facts, .. } = &mut landing {
            facts.wire.startup.key_pid = None;
        }
        let path = evidence_of(&diagnose(&c, &landing, &members, &[]), "path");
        assert_eq!(
            path,
            "the server sees this session arrive at 10.0.0.120:5432, not at the URL's 10.0.0.10:6432: something in between forwards it: a pooler, a load balancer, NAT (server db-postgres-01 10.0.0.120:5432)"
        );
    }

    #[test]
    fn a_direct_session_says_so_without_via() {
        let mut direct = facts(false);
        direct.backend_pid = Some(4242);
        direct.wire.peer = Some("10.0.0.122:5432".parse().unwrap());
        direct.wire.startup.key_pid = Some(4242);
        let c = check(Expect::Leader, &[("db-postgres-03", "10.0.0.122:5432")]);
        let members = [member("db-postgres-03", "10.0.0.122:5432", Ok(facts(false)))];
        let outcome = diagnose(&c, &landed(direct), &members, &[]);
        let path = evidence_of(&outcome, "path");
        assert_eq!(
            path,
            "direct: 10.0.0.122:5432 is the server itself (member db-postgres-03): it reports that address, and the cancel key of the start-up is its own backend's (pid 4242)"
        );
        assert!(!outcome.summary.contains("via"), "{}", outcome.summary);
        assert!(evidence_of(&outcome, "tls").ends_with("(pg_stat_ssl: the session the server sees, this one)"));
    }

    #[test]
    fn tls_is_called_verified_only_when_sslmode_verified_it() {
        use super::super::conn::TlsSeen;
        let seen = |verified_against: Option<&str>| TlsSeen {
            version: Some("TLSv1.3"),
            issuer: Some("CN=Example Test CA".into()),
            verified_against: verified_against.map(str::to_string),
        };
        let mut c = check(Expect::Leader, &[]);
        let mut session = facts(false);
        session.ssl = Some(true);
        session.ssl_version = Some("TLSv1.3".into());
        session.wire.peer = Some("10.0.0.122:5432".parse().unwrap());

        c.params.tls = super::super::TlsMode::Require;
        session.wire.tls = Some(seen(None));
        let tls = evidence_of(&diagnose(&c, &landed(session.clone()), &[], &[]), "tls");
        assert_eq!(
            tls,
            "app side (kbz-check's connection to 10.0.0.122:5432): TLSv1.3, certificate not verified (sslmode=require encrypts but accepts any certificate), issued by CN=Example Test CA\nserver side: TLS on, TLSv1.3 (pg_stat_ssl: the session the server sees, this one)"
        );
        assert!(!tls.contains("verified against"), "{tls}");

        c.params.tls = super::super::TlsMode::VerifyFull;
        session.wire.tls = Some(seen(Some("sslrootcert /etc/ssl/example-ca.pem")));
        let outcome = diagnose(&c, &landed(session.clone()), &[], &[]);
        assert!(
            evidence_of(&outcome, "tls").starts_with("app side (kbz-check's connection to 10.0.0.122:5432): TLSv1.3, certificate verified against sslrootcert /etc/ssl/example-ca.pem (sslmode=verify-full: chain and host name), issued by CN=Example Test CA"),
            "{:#?}",
            outcome.evidence
        );
        assert!(evidence_of(&outcome, "connection").contains("TLS on (sslmode=verify-full)"));

        c.params.tls = super::super::TlsMode::VerifyCa;
        session.wire.tls = Some(seen(Some("the system roots")));
        let tls = evidence_of(&diagnose(&c, &landed(session), &[], &[]), "tls");
        assert!(
            tls.contains("verified against the system roots (sslmode=verify-ca: chain only, not the host name)"),
            "{tls}"
        );
    }

    #[test]
    fn on_a_replica_behind_pgbouncer_the_fix_is_its_databases_entry() {
        let c = check(Expect::Leader, &[("db-postgres-01", "10.0.0.120:5432"), ("db-postgres-03", "10.0.0.122:5432")]);
        let members = [
            member("db-postgres-01", "10.0.0.120:5432", Ok(facts(false))),
            member("db-postgres-03", "10.0.0.122:5432", Ok(facts(true))),
        ];
        let outcome = diagnose(&c, &through("10.0.0.122:5432", 99, 4242, &PGBOUNCER_SENDS, true), &members, &[]);
        assert_eq!(codes_of(&outcome), [codes::ON_REPLICA]);
        assert_eq!(
            outcome.summary,
            "DATABASE_URL lands on a read-only replica, 10.0.0.122:5432 (db-postgres-03) via PgBouncer at 10.0.0.10:6432; leader: 10.0.0.120:5432 (db-postgres-01)"
        );
        assert!(
            outcome.causes[0].contains("PgBouncer at 10.0.0.10:6432 hands this database to the replica"),
            "{:?}",
            outcome.causes
        );
        let command = outcome.actions[0].command.as_deref().unwrap();
        assert!(command.contains("keybuzz = host=10.0.0.120 port=5432 dbname=keybuzz"), "{command}");
    }

    /// A member as it answers when probed at `listed`: the server at
    /// `server` (started at `started`), directly or, with `key_pid`, through
    /// something that gave its own cancel key (PgBouncer's parameters with `pooler`).
    fn probed(
        listed: &str,
        server: &str,
        started: Option<&str>,
        in_recovery: bool,
        key_pid: i32,
        pooler: bool,
    ) -> ServerFacts {
        let (listed, server) = (Endpoint::parse(listed).unwrap(), Endpoint::parse(server).unwrap());
        let mut facts = facts(in_recovery);
        facts.server_addr = Some(server.host.clone());
        facts.server_port = Some(server.port);
        facts.backend_pid = Some(4242);
        facts.started = started.map(str::to_string);
        facts.wire.peer = Some(format!("{listed}").parse().unwrap());
        facts.wire.startup.key_pid = Some(key_pid);
        if pooler {
            facts.wire.startup.parameters = PGBOUNCER_SENDS.iter().map(|p| p.to_string()).collect();
        }
        facts
    }

    const LEADER_STARTED: &str = "1765065600.123456";
    const REPLICA_STARTED: &str = "1765065612.654321";

    /// The leader and the replica, each probed directly.
    fn servers() -> [MemberReport; 2] {
        [
            member(
                "db-postgres-01",
                "10.0.0.120:5432",
                Ok(probed("10.0.0.120:5432", "10.0.0.120:5432", Some(LEADER_STARTED), false, 4242, false)),
            ),
            member(
                "db-postgres-03",
                "10.0.0.122:5432",
                Ok(probed("10.0.0.122:5432", "10.0.0.122:5432", Some(REPLICA_STARTED), true, 4242, false)),
            ),
        ]
    }

    #[test]
    fn a_pgbouncer_listed_as_a_member_is_a_path_to_its_server_not_a_second_leader() {
        let pool = probed("10.0.0.10:6432", "10.0.0.120:5432", Some(LEADER_STARTED), false, 1_939_425_512, true);
        let [leader, replica] = servers();
        let members = [member("db-pool-01", "10.0.0.10:6432", Ok(pool)), leader, replica];
        let c = check(Expect::Leader, &[]);
        let outcome = ok_through_pgbouncer(&c, &members);
        let lines = evidence_of(&outcome, "cluster members");
        assert!(
            lines.starts_with(
                "db-pool-01  10.0.0.10:6432  is PgBouncer in front of db-postgres-01 (leader): a path to that member, not a server of its own  ← DATABASE_URL connects here\n"
            ),
            "{lines}"
        );
        assert!(lines.contains("\ndb-postgres-01  10.0.0.120:5432  leader  ← DATABASE_URL lands here"), "{lines}");

        // Without start times (an older probe), the server's address tells the same.
        let mut members = members;
        for report in members.iter_mut() {
            report.result.as_mut().unwrap().started = None;
        }
        let outcome = ok_through_pgbouncer(&c, &members);
        assert!(evidence_of(&outcome, "cluster members").contains("is PgBouncer in front of db-postgres-01"));
    }

    #[test]
    fn a_proxy_member_in_front_of_the_replica_counts_the_replica_once() {
        let mut lagging = probed("10.0.0.11:5000", "10.0.0.122:5432", Some(REPLICA_STARTED), true, 4242, false);
        lagging.replay_lag_secs = Some(120.0);
        let [leader, mut replica] = servers();
        replica.result.as_mut().unwrap().replay_lag_secs = Some(120.0);
        // HAProxy passes the start-up through: the server's own key, another address.
        let members = [leader, replica, member("db-read-lb", "10.0.0.11:5000", Ok(lagging))];
        let outcome = diagnose(&check(Expect::Leader, &[]), &landed_direct_on_leader(), &members, &[]);
        let lag: Vec<_> = outcome.findings.iter().filter(|f| f.code == codes::LAG_OVER_MAX).collect();
        assert_eq!(lag.len(), 1, "{:?}", outcome.findings);
        assert!(lag[0].summary.starts_with("member db-postgres-03 lags"), "{}", lag[0].summary);
        let lines = evidence_of(&outcome, "cluster members");
        assert!(
            lines.ends_with(
                "db-read-lb  10.0.0.11:5000  is a forwarder in front of db-postgres-03 (replica): a path to that member, not a server of its own"
            ),
            "{lines}"
        );
    }

    fn landed_direct_on_leader() -> Landing {
        Landing::Connected {
            endpoint: Endpoint::parse("10.0.0.120:5432").unwrap(),
            passed_over: vec![],
            facts: Box::new(probed("10.0.0.120:5432", "10.0.0.120:5432", Some(LEADER_STARTED), false, 4242, false)),
        }
    }

    /// Two servers that each see the same address behind NAT (containers on
    /// two hosts) are two servers: their start times differ, and a second
    /// leader is still a split brain.
    #[test]
    fn two_servers_behind_nat_with_one_inner_address_are_still_two() {
        let nat = |listed: &str, started: &str| probed(listed, "172.17.0.2:5432", Some(started), false, 4242, false);
        let members = [
            member("db-a", "10.0.0.120:5432", Ok(nat("10.0.0.120:5432", LEADER_STARTED))),
            member("db-b", "10.0.0.121:5432", Ok(nat("10.0.0.121:5432", REPLICA_STARTED))),
        ];
        let outcome = diagnose(&check(Expect::Leader, &[]), &landed_direct_on_leader(), &members, &[]);
        assert_eq!(codes_of(&outcome), [codes::SPLIT_BRAIN], "{:?}", outcome.findings);
        // The same server twice (one start time) under two addresses is one leader.
        let members = [
            member("db-a", "10.0.0.120:5432", Ok(nat("10.0.0.120:5432", LEADER_STARTED))),
            member("db-a-again", "10.0.0.121:5432", Ok(nat("10.0.0.121:5432", LEADER_STARTED))),
        ];
        let outcome = diagnose(&check(Expect::Leader, &[]), &landed_direct_on_leader(), &members, &[]);
        assert!(!codes_of(&outcome).contains(&codes::SPLIT_BRAIN), "{:?}", outcome.findings);
    }

    /// On a replica, the leader named and the URLs suggested are the
    /// servers', never the pooler's address listed beside them.
    #[test]
    fn the_leader_named_on_a_replica_is_the_server_behind_a_pooler_member() {
        let pool = probed("10.0.0.10:6432", "10.0.0.120:5432", Some(LEADER_STARTED), false, -7, true);
        let [leader, replica] = servers();
        let members = [member("db-pool-01", "10.0.0.10:6432", Ok(pool)), leader, replica];
        let landing = Landing::Connected {
            endpoint: Endpoint::parse("10.0.0.122:5432").unwrap(),
            passed_over: vec![],
            facts: Box::new(probed("10.0.0.122:5432", "10.0.0.122:5432", Some(REPLICA_STARTED), true, 4242, false)),
        };
        let outcome = diagnose(&check(Expect::Leader, &[]), &landing, &members, &[]);
        assert_eq!(codes_of(&outcome), [codes::ON_REPLICA], "{:?}", outcome.findings);
        assert!(outcome.summary.ends_with("; leader: 10.0.0.120:5432 (db-postgres-01)"), "{}", outcome.summary);
        let command = outcome.actions[0].command.as_deref().unwrap();
        assert!(command.contains("@10.0.0.120:5432,10.0.0.122:5432/keybuzz?target_session_attrs"), "{command}");
        assert!(!command.contains("6432"), "{command}");
    }

    /// PgBouncer on the server's host reaches it over a Unix socket: the
    /// server reports no address, and its start time still names it.
    #[test]
    fn a_pooler_member_over_a_unix_socket_is_matched_by_the_servers_start_time() {
        let mut pool = probed("10.0.0.10:6432", "10.0.0.120:5432", Some(LEADER_STARTED), false, 77, true);
        (pool.server_addr, pool.server_port) = (None, None);
        let [leader, replica] = servers();
        let members = [leader, replica, member("db-pool-01", "10.0.0.10:6432", Ok(pool.clone()))];
        let landing = Landing::Connected {
            endpoint: Endpoint::parse("10.0.0.10:6432").unwrap(),
            passed_over: vec![],
            facts: Box::new(pool),
        };
        let outcome = diagnose(&check(Expect::Leader, &[]), &landing, &members, &[]);
        assert_eq!(outcome.status, Status::Ok, "{:?}", outcome.findings);
        assert!(
            outcome.summary.starts_with("leader at db-postgres-01 via PgBouncer at 10.0.0.10:6432,"),
            "{}",
            outcome.summary
        );
        let lines = evidence_of(&outcome, "cluster members");
        assert!(lines.contains("db-postgres-01  10.0.0.120:5432  leader  ← DATABASE_URL lands here"), "{lines}");
        assert!(
            lines.contains("db-pool-01  10.0.0.10:6432  is PgBouncer in front of db-postgres-01 (leader)"),
            "{lines}"
        );
    }

    /// The server behind a pooler member does not answer directly: seen
    /// through the pooler, it is one leader, and a second one is a split brain.
    #[test]
    fn a_server_seen_only_through_its_pooler_counts_once_there() {
        let pool = probed("10.0.0.10:6432", "10.0.0.120:5432", None, false, 77, true);
        let mut other = probed("10.0.0.122:5432", "10.0.0.122:5432", Some(REPLICA_STARTED), false, 4242, false);
        other.in_recovery = false;
        let members = [
            member("db-postgres-01", "10.0.0.120:5432", Err("connection refused by 10.0.0.120:5432")),
            member("db-pool-01", "10.0.0.10:6432", Ok(pool)),
            member("db-postgres-03", "10.0.0.122:5432", Ok(other)),
        ];
        let outcome = diagnose(&check(Expect::Leader, &[]), &landed_direct_on_leader(), &members, &[]);
        let split = outcome.findings.iter().find(|f| f.code == codes::SPLIT_BRAIN).expect("a split brain");
        assert_eq!(
            split.summary,
            "split brain: 2 members accept writes (db-postgres-01 (10.0.0.120:5432, through db-pool-01), db-postgres-03 (10.0.0.122:5432))"
        );
    }
}
