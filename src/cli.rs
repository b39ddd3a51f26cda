//! The command line (DESIGN.md section 3).

/// What a newcomer looks for under the options: what the built-in suite
/// reads, and what the exit code says.
const AFTER_HELP: &str = "\
The built-in suite reads the app's own variables (or --env-file FILE):
  postgres  DATABASE_URL (or PGHOST…), KBZ_PG_NODES
  vault     VAULT_ADDR, VAULT_TOKEN
  smtp      SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASS
  ses       EMAIL_PROVIDER=ses, AWS_SES_ACCESS_KEY, AWS_SES_SECRET_KEY, AWS_SES_REGION, EMAIL_FROM
  oauth     KBZ_OAUTH_START_URL
  domain    EMAIL_FROM (its domain's MX, SPF, DKIM, DMARC)
A check whose variables are not set is skipped; `kbz-check list` shows what was read.

Exit codes:
  0  ok or warn: no check failed and at least one ran
  1  a check failed, or nothing was checked (every check skipped); with --strict also warn or skip
  2  usage or configuration error: nothing was checked";

pub use crate::choices::{Format, Lang};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "kbz-check",
    version,
    about = "Infrastructure reality checks from live evidence",
    long_about = None,
    after_help = AFTER_HELP
)]
pub struct Cli {
    /// Suite file (TOML). Default: ./kbz-check.toml if present, else the built-in suite read from the environment
    #[arg(short, long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Read KEY=VALUE lines before resolving settings; repeatable, later files win, and they win over the environment
    #[arg(short, long = "env-file", global = true, value_name = "FILE")]
    pub env_file: Vec<PathBuf>,

    /// Expand $VAR and ${VAR} in env files, as docker compose and python-dotenv do (default: `$` is kept as written, as Node's dotenv, systemd and docker --env-file do)
    #[arg(long, global = true)]
    pub env_expand: bool,

    /// Read the variables from the environment the running process PID started with (/proc/PID/environ), instead of kbz-check's own
    #[arg(long, global = true, value_name = "PID")]
    pub env_from_pid: Option<u32>,

    /// Run every check from the network namespace of process PID: its addresses, routes, firewall and DNS (needs root)
    #[arg(long, global = true, value_name = "PID")]
    pub netns_of: Option<u32>,

    /// Both --env-from-pid PID and --netns-of PID: see what the app sees
    #[arg(long, global = true, value_name = "PID", conflicts_with_all = ["env_from_pid", "netns_of"])]
    pub as_pid: Option<u32>,

    /// What goes to stdout
    #[arg(short, long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Also write the markdown report to FILE (atomically)
    #[arg(long, global = true, value_name = "FILE")]
    pub markdown: Option<PathBuf>,

    /// Also write the JSON report to FILE (atomically)
    #[arg(long, global = true, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Also write the JUnit XML report to FILE (atomically), for CI test reports
    #[arg(long, global = true, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// Also write the metrics in the Prometheus text format to FILE (atomically, readable by all), for node_exporter's textfile collector
    #[arg(long, global = true, value_name = "FILE")]
    pub prometheus: Option<PathBuf>,

    /// Remember in FILE, across runs, since when each check has been failing and when its finding changed (a missing file is a first run; the file is replaced atomically)
    #[arg(long, global = true, value_name = "FILE")]
    pub state: Option<PathBuf>,

    /// Language of the report's fixed words (headings, statuses, verdict) in text, markdown and JUnit
    #[arg(long, global = true, value_enum, default_value_t = Lang::En)]
    pub lang: Lang,

    /// Deadline of each check, e.g. 500ms, 5s
    #[arg(short, long, global = true, value_name = "DUR", default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,

    /// Re-run failing checks until they pass or DUR has passed since the run started (post-deploy gates)
    #[arg(long, global = true, value_name = "DUR", value_parser = parse_duration)]
    pub retry_for: Option<Duration>,

    /// With --retry-for: wait between the end of a failed attempt and the next
    #[arg(long, global = true, value_name = "DUR", default_value = "2s", value_parser = parse_duration)]
    pub retry_every: Duration,

    /// At most N checks run at once; the others wait for a free slot (their deadline starts when they run)
    #[arg(long, global = true, value_name = "N", default_value_t = crate::engine::DEFAULT_CONCURRENCY, value_parser = parse_concurrency)]
    pub concurrency: usize,

    /// At most N of those on one server (checks whose targets share host and port), so a suite never takes all of a server's connections
    #[arg(long, global = true, value_name = "N", default_value_t = crate::engine::DEFAULT_PER_SERVER, value_parser = parse_concurrency)]
    pub per_server: usize,

    /// WARN and SKIP also make the run fail (exit 1)
    #[arg(long, global = true)]
    pub strict: bool,

    /// Report id, e.g. MAIL-REALITY-CHECK-01
    #[arg(long, global = true, value_name = "ID")]
    pub id: Option<String>,

    /// Report title
    #[arg(long, global = true, value_name = "TEXT")]
    pub title: Option<String>,

    /// SMTP checks send one test message to ADDRESS (otherwise they never send mail)
    #[arg(long, global = true, value_name = "ADDRESS", value_parser = parse_mail_address)]
    pub send_test_to: Option<String>,

    /// Colors in the text output (NO_COLOR is honoured in auto)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The process whose environment the checks read, if not kbz-check's own.
    pub fn environment_pid(&self) -> Option<u32> {
        self.as_pid.or(self.env_from_pid)
    }

    /// The process whose network namespace the checks run in, if not kbz-check's own.
    pub fn network_pid(&self) -> Option<u32> {
        self.as_pid.or(self.netns_of)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every configured check
    All,
    /// Run the named checks only
    Run {
        /// A check's name as `kbz-check list` shows it: the suite's
        /// `[checks.NAME]`, or in the built-in suite its kind (postgres,
        /// vault, smtp, ses, oauth, domain)
        #[arg(required = true, value_name = "NAME")]
        names: Vec<String>,
    },
    /// The configured checks, their kind and where each setting came from
    List,
    /// Print a commented starter kbz-check.toml
    Init,
    /// Print shell completions, e.g. `kbz-check completions bash > /etc/bash_completion.d/kbz-check`
    Completions {
        #[arg(value_enum, value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Run the suite every --interval and serve /metrics (Prometheus), /report.json, /report.md and /healthz until SIGTERM
    Serve {
        /// Address and port to listen on; 0.0.0.0:9464 for every interface (in a pod)
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9464", value_parser = parse_listen)]
        listen: std::net::SocketAddr,
        /// Time from the start of one run to the start of the next, e.g. 30s, 5m (a run that takes longer is followed at once, never overlapped)
        #[arg(long, value_name = "DUR", default_value = "60s", value_parser = parse_duration)]
        interval: Duration,
    },
    /// Print the man page (roff), e.g. `kbz-check man > kbz-check.1`
    #[command(hide = true)]
    Man,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Deadlines and retry times: the range in [`crate::duration::DEADLINE`].
fn parse_duration(text: &str) -> Result<Duration, String> {
    crate::duration::DEADLINE.parse(text)
}

/// An IP address and port: a name would need a lookup, and `localhost`
/// may be IPv6 on one host and IPv4 on the next.
fn parse_listen(text: &str) -> Result<std::net::SocketAddr, String> {
    text.trim().parse().map_err(|_| {
        format!("`{text}` is not an IP address and port; write e.g. 127.0.0.1:9464, 0.0.0.0:9464 or [::1]:9464")
    })
}

/// A usage error (exit 2, nothing runs), not a failed smtp check: with no
/// smtp check configured the mistake would otherwise pass unnoticed.
fn parse_mail_address(text: &str) -> Result<String, String> {
    match text.trim().parse::<lettre::Address>() {
        Ok(_) => Ok(text.trim().to_string()),
        Err(e) => Err(format!("not a mail address ({e}); write e.g. ops@example.com")),
    }
}

fn parse_concurrency(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("at least one check must be able to run; write 1 or more".into()),
        Ok(n) => Ok(n),
        Err(_) => Err("write a whole number of checks, e.g. 16".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_names_variables_the_kinds_really_read() {
        let read: Vec<&str> =
            crate::checks::KINDS.iter().flat_map(|kind| kind.variables.iter().map(|(_, variable)| *variable)).collect();
        let named: Vec<&str> = AFTER_HELP
            .split(|c: char| !(c.is_ascii_uppercase() || c == '_'))
            .filter(|word| word.len() > 3 && word.contains('_') || word.starts_with("PG"))
            .collect();
        assert!(named.len() >= 12, "{named:?}");
        for variable in named {
            assert!(read.contains(&variable), "--help names {variable}, which no kind reads");
        }
    }
    use clap::CommandFactory;
    use proptest::strategy::Strategy;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_global_options_after_the_subcommand() {
        let cli = Cli::try_parse_from(["kbz-check", "run", "db", "-t", "500ms", "-e", "a.env", "-e", "b.env"]).unwrap();
        assert_eq!(cli.timeout, Duration::from_millis(500));
        assert_eq!(cli.env_file, vec![PathBuf::from("a.env"), PathBuf::from("b.env")]);
        assert!(matches!(cli.command, Command::Run { ref names } if names == &["db"]));
    }

    #[test]
    fn as_pid_is_both_vantage_options_and_excludes_them() {
        let cli = Cli::try_parse_from(["kbz-check", "all", "--as-pid", "42"]).unwrap();
        assert_eq!((cli.environment_pid(), cli.network_pid()), (Some(42), Some(42)));
        let cli = Cli::try_parse_from(["kbz-check", "--env-from-pid", "7", "all"]).unwrap();
        assert_eq!((cli.environment_pid(), cli.network_pid()), (Some(7), None));
        assert!(Cli::try_parse_from(["kbz-check", "all", "--as-pid", "1", "--netns-of", "2"]).is_err());
        assert!(Cli::try_parse_from(["kbz-check", "all", "--env-from-pid", "app"]).is_err());
    }

    #[test]
    fn rejects_bad_timeout_format_and_lang() {
        assert!(Cli::try_parse_from(["kbz-check", "all", "--timeout", "soon"]).is_err());
        assert!(Cli::try_parse_from(["kbz-check", "all", "--timeout", "0s"]).is_err());
        assert!(Cli::try_parse_from(["kbz-check", "all", "--format", "yaml"]).is_err());
        assert!(Cli::try_parse_from(["kbz-check", "all", "--lang", "de"]).is_err());
    }

    #[test]
    fn parses_junit_lang_and_completions() {
        let cli = Cli::try_parse_from(["kbz-check", "all", "-f", "junit", "--junit", "r.xml", "--lang", "fr"]).unwrap();
        assert_eq!((cli.format, cli.lang), (Format::Junit, Lang::Fr));
        assert_eq!(cli.junit, Some(PathBuf::from("r.xml")));
        assert_eq!(Cli::try_parse_from(["kbz-check", "all"]).unwrap().lang, Lang::En);
        let cli = Cli::try_parse_from(["kbz-check", "completions", "zsh"]).unwrap();
        assert!(matches!(cli.command, Command::Completions { shell: clap_complete::Shell::Zsh }));
    }

    #[test]
    fn retry_options_take_nonzero_durations() {
        let cli = Cli::try_parse_from(["kbz-check", "all"]).unwrap();
        assert_eq!((cli.retry_for, cli.retry_every), (None, Duration::from_secs(2)));
        let cli = Cli::try_parse_from(["kbz-check", "all", "--retry-for", "1m", "--retry-every", "500ms"]).unwrap();
        assert_eq!((cli.retry_for, cli.retry_every), (Some(Duration::from_secs(60)), Duration::from_millis(500)));
        for bad in [["--retry-for", "0s"], ["--retry-every", "0ms"], ["--retry-for", "soon"]] {
            assert!(Cli::try_parse_from(["kbz-check", "all", bad[0], bad[1]]).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn absurd_durations_are_refused_naming_the_range() {
        for (option, value) in [
            ("--timeout", "500y"),
            ("--timeout", "18446744073709551615s"),
            ("--retry-for", "18446744073709551615s"),
            ("--retry-every", "25h"),
            ("--retry-every", "99999999999999999999999ms"),
        ] {
            let err = Cli::try_parse_from(["kbz-check", "all", option, value]).unwrap_err().to_string();
            assert!(err.contains(option) && err.contains("more than 0 and at most 24h"), "{option} {value}: {err}");
        }
        let cli = Cli::try_parse_from(["kbz-check", "all", "--timeout", "24h", "--retry-for", "24h"]).unwrap();
        assert_eq!((cli.timeout, cli.retry_for), (Duration::from_secs(86_400), Some(Duration::from_secs(86_400))));
    }

    proptest::proptest! {
        #![proptest_config(crate::test_strategies::config())]

        /// Any number with any unit given to any duration option: a value in
        /// range, or a usage error naming the option and the range.
        #[test]
        fn duration_options_give_a_value_in_range_or_name_the_range(
            option in proptest::sample::select(vec!["--timeout", "--retry-for", "--retry-every"]),
            number in proptest::prop_oneof![
                proptest::arbitrary::any::<u64>().prop_map(|n| n.to_string()),
                "[0-9]{1,25}(\\.[0-9]{1,3})?",
            ],
            unit in proptest::sample::select(vec!["", "ns", "ms", "s", "sec", "m", "h", "d", "w", "M", "y", "years", " s"]),
        ) {
            let value = format!("{number}{unit}");
            match Cli::try_parse_from(["kbz-check", "all", option, &value]) {
                Ok(cli) => {
                    let parsed = match option {
                        "--timeout" => cli.timeout,
                        "--retry-for" => cli.retry_for.unwrap(),
                        _ => cli.retry_every,
                    };
                    proptest::prop_assert!(!parsed.is_zero() && parsed <= Duration::from_secs(86_400), "{}", value);
                }
                Err(err) => {
                    let err = err.to_string();
                    proptest::prop_assert!(err.contains(option) && err.contains("more than 0 and at most 24h"), "{}", err);
                }
            }
        }
    }

    #[test]
    fn serve_listens_on_loopback_every_minute_by_default() {
        let cli = Cli::try_parse_from(["kbz-check", "serve"]).unwrap();
        let Command::Serve { listen, interval } = cli.command else { panic!("not serve") };
        assert_eq!((listen.to_string(), interval), ("127.0.0.1:9464".to_string(), Duration::from_secs(60)));
        let cli = Cli::try_parse_from(["kbz-check", "-t", "2s", "serve", "--listen", "[::1]:0", "--interval", "1s"]);
        let Command::Serve { listen, interval } = cli.unwrap().command else { panic!("not serve") };
        assert_eq!((listen.to_string(), interval), ("[::1]:0".to_string(), Duration::from_secs(1)));
        for (option, bad, says) in [
            ("--listen", "localhost:9464", "not an IP address and port"),
            ("--listen", "127.0.0.1", "not an IP address and port"),
            ("--interval", "0s", "more than 0 and at most 24h"),
            ("--interval", "2d", "more than 0 and at most 24h"),
        ] {
            let err = Cli::try_parse_from(["kbz-check", "serve", option, bad]).unwrap_err().to_string();
            assert!(err.contains(option) && err.contains(says), "{option} {bad}: {err}");
        }
    }

    #[test]
    fn send_test_to_takes_only_a_mail_address() {
        let cli = Cli::try_parse_from(["kbz-check", "all", "--send-test-to", " ops@example.com "]).unwrap();
        assert_eq!(cli.send_test_to.as_deref(), Some("ops@example.com"));
        for bad in ["", "ops", "ops@", "@example.com", "a b@example.com", "ops@exa mple.com"] {
            let err = Cli::try_parse_from(["kbz-check", "all", "--send-test-to", bad]).unwrap_err().to_string();
            assert!(err.contains("--send-test-to") && err.contains("not a mail address"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn concurrency_is_a_positive_number_defaulting_to_64() {
        assert_eq!(Cli::try_parse_from(["kbz-check", "all"]).unwrap().concurrency, 64);
        assert_eq!(Cli::try_parse_from(["kbz-check", "all", "--concurrency", "8"]).unwrap().concurrency, 8);
        for bad in ["0", "-1", "many", ""] {
            assert!(Cli::try_parse_from(["kbz-check", "all", "--concurrency", bad]).is_err(), "{bad:?}");
            assert!(Cli::try_parse_from(["kbz-check", "all", "--per-server", bad]).is_err(), "{bad:?}");
        }
        assert_eq!(Cli::try_parse_from(["kbz-check", "all"]).unwrap().per_server, 8);
    }
}
