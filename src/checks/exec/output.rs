//! The plugin output format of the Nagios plugin guidelines (also used by
//! Monitoring Plugins, Icinga, Naemon): a first line `TEXT | PERFDATA`, then
//! optional long text lines; the line with the next `|` ends the long text,
//! and everything after that `|` (that line and the following ones) is more
//! performance data. A pure parser: no I/O, no status.

/// What a plugin printed on stdout, taken apart.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PluginOutput {
    /// The first line's text, before any `|`, trimmed.
    pub summary: String,
    /// The lines after the first, up to the `|` that starts more perfdata.
    pub long_text: Vec<String>,
    pub perfdata: Vec<Metric>,
    /// Perfdata tokens that do not read as `label=value...`, kept as printed.
    pub unparsed: Vec<String>,
}

/// One `'label'=value[UOM];[warn];[crit];[min];[max]` item. Thresholds stay
/// as written: they are ranges (`10`, `10:`, `~:10`, `@10:20`), not numbers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metric {
    pub label: String,
    /// The number as printed, or `U` when the plugin could not measure it.
    pub value: String,
    pub unit: String,
    pub warn: Option<String>,
    pub crit: Option<String>,
    pub min: Option<String>,
    pub max: Option<String>,
}

impl Metric {
    /// `0.000089s (warn 1, crit 2, min 0.000000, max 10.000000)`.
    pub fn describe(&self) -> String {
        let value =
            if self.value == "U" { "U (not measured)".to_string() } else { format!("{}{}", self.value, self.unit) };
        let limits: Vec<String> = [("warn", &self.warn), ("crit", &self.crit), ("min", &self.min), ("max", &self.max)]
            .into_iter()
            .filter_map(|(name, v)| v.as_ref().map(|v| format!("{name} {v}")))
            .collect();
        if limits.is_empty() {
            value
        } else {
            format!("{value} ({})", limits.join(", "))
        }
    }
}

pub fn parse(stdout: &str) -> PluginOutput {
    let mut lines = stdout.lines();
    let mut out = PluginOutput::default();
    let mut perf_text = Vec::new();
    if let Some(first) = lines.next() {
        let (text, perf) = split_pipe(first);
        out.summary = text.trim().to_string();
        perf_text.extend(perf);
    }
    let mut in_perfdata = false;
    for line in lines {
        if in_perfdata {
            perf_text.push(line);
            continue;
        }
        let (text, perf) = split_pipe(line);
        if let Some(perf) = perf {
            in_perfdata = true;
            perf_text.push(perf);
        }
        // A long text line ending right at the `|` ("... | x=1") keeps its text.
        if perf.is_none() || !text.trim().is_empty() {
            out.long_text.push(text.trim_end().to_string());
        }
    }
    while out.long_text.last().is_some_and(|l| l.is_empty()) {
        out.long_text.pop();
    }
    for text in perf_text {
        parse_perfdata(text, &mut out.perfdata, &mut out.unparsed);
    }
    out
}

fn split_pipe(line: &str) -> (&str, Option<&str>) {
    match line.split_once('|') {
        Some((text, perf)) => (text, Some(perf)),
        None => (line, None),
    }
}

/// Space-separated items; a label in single quotes may hold spaces and `=`,
/// and `''` inside it stands for one quote.
fn parse_perfdata(text: &str, metrics: &mut Vec<Metric>, unparsed: &mut Vec<String>) {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let mut label = String::new();
        let mut quoted_ok = true;
        if chars[i] == '\'' {
            i += 1;
            quoted_ok = false;
            while i < chars.len() {
                if chars[i] == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        label.push('\'');
                        i += 2;
                        continue;
                    }
                    i += 1;
                    quoted_ok = true;
                    break;
                }
                label.push(chars[i]);
                i += 1;
            }
        } else {
            while i < chars.len() && chars[i] != '=' && !chars[i].is_whitespace() {
                label.push(chars[i]);
                i += 1;
            }
        }
        let mut rest = String::new();
        let has_equals = chars.get(i) == Some(&'=');
        if has_equals {
            i += 1;
        }
        while i < chars.len() && !chars[i].is_whitespace() {
            rest.push(chars[i]);
            i += 1;
        }
        let token: String = chars[start..i].iter().collect();
        match (quoted_ok && has_equals && !label.is_empty()).then(|| metric(label, &rest)).flatten() {
            Some(metric) => metrics.push(metric),
            None => unparsed.push(token),
        }
    }
}

fn metric(label: String, text: &str) -> Option<Metric> {
    let mut fields = text.split(';').map(|f| Some(f.to_string()).filter(|f| !f.is_empty()));
    let first = fields.next().flatten()?;
    let (value, unit) = split_value(&first)?;
    let mut next = || fields.next().flatten();
    let (warn, crit, min, max) = (next(), next(), next(), next());
    Some(Metric { label, value, unit, warn, crit, min, max })
}

/// `2643MB` → (`2643`, `MB`); `U` → (`U`, ``); `-1.5e3s` → (`-1.5e3`, `s`).
fn split_value(text: &str) -> Option<(String, String)> {
    if text == "U" {
        return Some(("U".into(), String::new()));
    }
    let bytes = text.as_bytes();
    let mut end = 0;
    if matches!(bytes.first(), Some(b'-' | b'+')) {
        end = 1;
    }
    let digits_start = end;
    while end < bytes.len() && (bytes[end].is_ascii_digit() || bytes[end] == b'.' || bytes[end] == b',') {
        end += 1;
    }
    if !bytes[digits_start..end].iter().any(u8::is_ascii_digit) {
        return None;
    }
    // An exponent only when digits follow: `5e3` is a number, `5ex` a unit.
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let mut j = end + 1;
        if matches!(bytes.get(j), Some(b'-' | b'+')) {
            j += 1;
        }
        if bytes.get(j).is_some_and(u8::is_ascii_digit) {
            while bytes.get(j).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
            end = j;
        }
    }
    let unit = &text[end..];
    if unit.chars().any(|c| c.is_ascii_digit() || c.is_whitespace()) {
        return None;
    }
    Some((text[..end].to_string(), unit.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(label: &str, value: &str, unit: &str, limits: [Option<&str>; 4]) -> Metric {
        let [warn, crit, min, max] = limits.map(|l| l.map(str::to_string));
        Metric { label: label.into(), value: value.into(), unit: unit.into(), warn, crit, min, max }
    }

    #[test]
    fn guidelines_single_line_with_perfdata() {
        let out = parse("DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968\n");
        assert_eq!(out.summary, "DISK OK - free space: / 3326 MB (56%);");
        assert!(out.long_text.is_empty());
        assert_eq!(out.perfdata, [m("/", "2643", "MB", [Some("5948"), Some("5958"), Some("0"), Some("5968")])]);
        assert!(out.unparsed.is_empty());
    }

    #[test]
    fn guidelines_multi_line_with_long_text_and_perfdata_on_later_lines() {
        let text = "DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968\n\
                    / 15272 MB (77%);\n\
                    /boot 68 MB (69%);\n\
                    /home 69357 MB (27%);\n\
                    /var/log 819 MB (84%); | /boot=68MB;88;93;0;98\n\
                    /home=69357MB;253404;253409;0;253414 \n\
                    /var/log=818MB;970;975;0;980\n";
        let out = parse(text);
        assert_eq!(out.summary, "DISK OK - free space: / 3326 MB (56%);");
        assert_eq!(
            out.long_text,
            ["/ 15272 MB (77%);", "/boot 68 MB (69%);", "/home 69357 MB (27%);", "/var/log 819 MB (84%);"]
        );
        let labels: Vec<_> = out.perfdata.iter().map(|m| m.label.as_str()).collect();
        assert_eq!(labels, ["/", "/boot", "/home", "/var/log"]);
        assert_eq!(out.perfdata[3], m("/var/log", "818", "MB", [Some("970"), Some("975"), Some("0"), Some("980")]));
    }

    #[test]
    fn check_tcp_output_with_empty_thresholds() {
        let out =
            parse("TCP OK - 0.000 second response time on 127.0.0.1 port 5432|time=0.000089s;;;0.000000;10.000000");
        assert_eq!(out.summary, "TCP OK - 0.000 second response time on 127.0.0.1 port 5432");
        assert_eq!(out.perfdata, [m("time", "0.000089", "s", [None, None, Some("0.000000"), Some("10.000000")])]);
        assert_eq!(out.perfdata[0].describe(), "0.000089s (min 0.000000, max 10.000000)");
    }

    #[test]
    fn quoted_labels_units_ranges_and_undetermined_values() {
        let out = parse("OK | 'data packets'=10c 'it''s = here'=5% load1=0.5;1:2;@3:4 rta=U;;;; e=-1.5e3 x=5ex");
        assert_eq!(out.perfdata[0], m("data packets", "10", "c", [None; 4]));
        assert_eq!(out.perfdata[1], m("it's = here", "5", "%", [None; 4]));
        assert_eq!(out.perfdata[2], m("load1", "0.5", "", [Some("1:2"), Some("@3:4"), None, None]));
        assert_eq!(out.perfdata[2].describe(), "0.5 (warn 1:2, crit @3:4)");
        assert_eq!(out.perfdata[3].describe(), "U (not measured)");
        assert_eq!(out.perfdata[4], m("e", "-1.5e3", "", [None; 4]));
        assert_eq!(out.perfdata[5], m("x", "5", "ex", [None; 4]));
    }

    #[test]
    fn garbage_is_kept_aside_and_never_panics() {
        let out = parse("all good | no-equals =5 t=abc t2=5s5 ok=1 'open=1\n");
        assert_eq!(out.summary, "all good");
        assert_eq!(out.perfdata, [m("ok", "1", "", [None; 4])]);
        assert_eq!(out.unparsed, ["no-equals", "=5", "t=abc", "t2=5s5", "'open=1"]);
        assert_eq!(parse(""), PluginOutput::default());
        for text in ["|", "||||", "'", "a='", "\u{0}\u{fffd}|=;;;", "x | =;;;;;;", "| 'a'''=1"] {
            parse(text);
        }
        assert_eq!(parse("| 'a'''=1").perfdata[0].label, "a'");
    }

    #[test]
    fn a_first_line_of_perfdata_only_has_an_empty_summary() {
        let out = parse("|a=1\nmore text\n\n");
        assert_eq!(out.summary, "");
        assert_eq!(out.long_text, ["more text"]);
        assert_eq!(out.perfdata.len(), 1);
    }
}
