//! Every option and command the documentation gives kbz-check exists: the
//! README's, CONTRIBUTING.md's and docs/'s recipes are copied into terminals
//! at 3 a.m., and a flag or a subcommand renamed in the code but not in a
//! recipe fails there, not here.

#[path = "support/docs.rs"]
mod docs;

use clap::CommandFactory;
use std::collections::{BTreeMap, BTreeSet};

/// Every long option of the command line, on the main command or a subcommand.
fn known_options() -> BTreeSet<String> {
    let command = kbz_check::cli::Cli::command();
    let mut known: BTreeSet<String> = ["help", "version"].map(String::from).into();
    for cmd in std::iter::once(&command).chain(command.get_subcommands()) {
        known.extend(cmd.get_arguments().filter_map(|arg| arg.get_long()).map(|long| long.to_string()));
    }
    known
}

/// Every subcommand, hidden ones (`man`) and clap's `help` included.
fn known_subcommands() -> BTreeSet<String> {
    let command = kbz_check::cli::Cli::command();
    let mut known: BTreeSet<String> = command.get_subcommands().map(|c| c.get_name().to_string()).collect();
    known.insert("help".to_string());
    known
}

/// Whether each option, long (`env-file`) or short (`e`), takes a value:
/// the word after it is that value, not the subcommand.
fn options_taking_a_value() -> BTreeMap<String, bool> {
    let command = kbz_check::cli::Cli::command();
    let mut options = BTreeMap::new();
    for arg in command.get_arguments() {
        let takes = arg.get_action().takes_values();
        options.extend(arg.get_long().map(|long| (long.to_string(), takes)));
        options.extend(arg.get_short().map(|short| (short.to_string(), takes)));
    }
    options
}

/// Where a shell command starts, as the documentation writes them.
const COMMAND_STARTS: [&str; 7] = ["|", ";", "&&", "`", "$(", " -- ", "$ "];
/// Where the arguments of a command end.
const COMMAND_ENDS: [&str; 5] = ["|", ";", "&&", " #", "`"];

/// Whether `kbz-check` after `before` is the program of a shell command (not
/// a Job's name, an image in `--image=`): only variable assignments, `sudo`
/// or a directory stand between it and the command's start. `docker run …
/// IMAGE/kbz-check:TAG` runs the image's kbz-check.
fn runs_kbz_check(before: &str, after: &str) -> bool {
    let start = COMMAND_STARTS.iter().filter_map(|s| before.rfind(s).map(|at| at + s.len())).max().unwrap_or(0);
    let words: Vec<&str> = before[start..].split_whitespace().collect();
    let (program_dir, leading) = match before.ends_with(char::is_whitespace) || before[start..].trim().is_empty() {
        true => ("", &words[..]),
        false => words.split_last().map_or(("", &words[..]), |(last, leading)| (*last, leading)),
    };
    if after.starts_with(':') {
        return words.windows(2).any(|pair| pair == ["docker", "run"]) && !program_dir.starts_with('-');
    }
    let is_assignment = |word: &&str| {
        word.split_once('=').is_some_and(|(name, _)| name.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
    };
    (program_dir.is_empty() || program_dir.ends_with('/') && !program_dir.starts_with('-'))
        && leading.iter().all(|word| *word == "sudo" || is_assignment(word))
}

/// The words given to kbz-check in `text`, one list per command: after each
/// `kbz-check` that a shell would run, up to the end of its command, split
/// as a shell splits them (a quoted value is one word). Lines ending in `\`
/// continue; a `$(…)` is another command's. After `docker run …
/// IMAGE/kbz-check:TAG`, the tag is left out.
fn invocations(text: &str) -> Vec<Vec<String>> {
    let joined = text.replace("\\\n", " ");
    let mut found = Vec::new();
    for line in joined.lines() {
        let mut from = 0;
        while let Some(at) = line[from..].find("kbz-check").map(|at| from + at) {
            from = at + "kbz-check".len();
            let (before, after) = (&line[..at], &line[from..]);
            if !(after.starts_with(char::is_whitespace) || after.starts_with(':')) || !runs_kbz_check(before, after) {
                continue;
            }
            let end = COMMAND_ENDS.iter().filter_map(|stop| after.find(stop)).min().unwrap_or(after.len());
            let mut command = after[..end].to_string();
            while let Some(open) = command.find("$(") {
                let close = command[open..].find(')').map_or(command.len(), |c| open + c + 1);
                command.replace_range(open..close, "");
            }
            let mut words = shell_words(&command);
            if after.starts_with(':') && !words.is_empty() {
                words.remove(0);
            }
            found.push(words);
        }
    }
    found
}

/// `command` split into words at unquoted white space; quotes removed. A
/// placeholder such as `<backend env file>` is one word, as its reader takes it.
fn shell_words(command: &str) -> Vec<String> {
    let (mut words, mut word, mut quote, mut started) = (Vec::new(), String::new(), None, false);
    for c in command.chars() {
        match (quote, c) {
            (Some('>'), '>') => {
                word.push(c);
                quote = None;
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => (quote, started) = (Some(c), true),
            (None, '<') if word.is_empty() => {
                word.push(c);
                quote = Some('>');
            }
            (None, c) if c.is_whitespace() => {
                if started || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                started = false;
            }
            (None, c) => word.push(c),
        }
    }
    if started || !word.is_empty() {
        words.push(word);
    }
    words
}

/// The long options given to kbz-check in `text`.
fn options_given(text: &str) -> Vec<String> {
    invocations(text)
        .into_iter()
        .flatten()
        .filter_map(|word| {
            word.strip_prefix("--").filter(|o| !o.is_empty()).map(|o| o.split('=').next().unwrap().to_string())
        })
        .collect()
}

/// The subcommand of one invocation: its first word that is neither an
/// option nor an option's value nor a placeholder (`[OPTIONS]`, `<command>`, `...`).
fn subcommand(words: &[String], takes_value: &BTreeMap<String, bool>) -> Option<String> {
    let mut words = words.iter();
    while let Some(word) = words.next() {
        let option = match word.strip_prefix("--") {
            Some(long) if !long.contains('=') => Some(long),
            Some(_) => None,
            None => word.strip_prefix('-').filter(|short| short.chars().count() == 1),
        };
        if let Some(option) = option {
            if takes_value.get(option).copied().unwrap_or(false) {
                words.next();
            }
        } else if word.starts_with(['-', '[', '<']) || !word.contains(char::is_alphanumeric) {
            continue;
        } else {
            return Some(word.clone());
        }
    }
    None
}

/// The code of a markdown page, where commands are written: its code blocks
/// and its inline code, each span on a line of its own. Prose says "kbz-check
/// reads …" without `reads` being a subcommand.
fn code_of(markdown: &str) -> String {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let mut code = String::new();
    let mut in_block = false;
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => in_block = true,
            Event::End(TagEnd::CodeBlock) => in_block = false,
            Event::Text(text) if in_block => code.push_str(&text),
            Event::Code(span) => {
                code.push_str(&span);
                code.push('\n');
            }
            _ => {}
        }
    }
    code
}

#[test]
fn every_option_in_the_documentation_exists() {
    let known = known_options();
    let mut unknown = Vec::new();
    let mut seen = BTreeSet::new();
    for file in docs::markdown_files() {
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", docs::shown(&file)));
        for option in options_given(&text) {
            if !known.contains(&option) {
                unknown.push(format!("{}: --{option}", docs::shown(&file)));
            }
            seen.insert(option);
        }
    }
    assert!(
        unknown.is_empty(),
        "options the documentation gives that kbz-check does not have:\n{}",
        unknown.join("\n")
    );
    for recipe in ["env-from-pid", "as-pid", "env-file", "format"] {
        assert!(seen.contains(recipe), "no recipe uses --{recipe}: the extraction missed it");
    }
}

#[test]
fn every_subcommand_in_the_documentation_exists() {
    let (known, takes_value) = (known_subcommands(), options_taking_a_value());
    let mut unknown = Vec::new();
    let mut seen = BTreeSet::new();
    for file in docs::markdown_files() {
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", docs::shown(&file)));
        for words in invocations(&code_of(&text)) {
            let Some(command) = subcommand(&words, &takes_value) else { continue };
            if !known.contains(&command) {
                unknown.push(format!("{}: kbz-check {}", docs::shown(&file), words.join(" ")));
            }
            seen.insert(command);
        }
    }
    assert!(
        unknown.is_empty(),
        "subcommands the documentation gives that kbz-check does not have:\n{}",
        unknown.join("\n")
    );
    for recipe in ["all", "run", "list", "init", "completions", "serve", "man"] {
        assert!(seen.contains(recipe), "no recipe uses `kbz-check {recipe}`: the extraction missed it");
    }
}

#[test]
fn the_extraction_reads_shell_lines_as_a_person_does() {
    let text = "kubectl debug -it pod --target=app --image=r/kbz-check:1 --custom=p.json \\\n  -- kbz-check --env-from-pid 1 all | jq --raw-output .verdict\n\
                docker run --rm img/kbz-check:0.1 --env-file /e all\nsee github.com/x/kbz-check/blob --nope\n\
                `kbz-check --json r.json all` and --not-this\nkubectl delete job kbz-check --ignore-not-found\n\
                sudo ./target/release/kbz-check --as-pid \"$(systemctl show -p MainPID --value app.service)\" --strict all\n\
                DATABASE_URL=x kbz-check --timeout 5s all";
    assert_eq!(options_given(text), ["env-from-pid", "env-file", "json", "as-pid", "strict", "timeout"]);
}

#[test]
fn the_subcommand_is_the_first_word_no_option_takes() {
    let takes_value = options_taking_a_value();
    let first = |line: &str| invocations(line).iter().map(|w| subcommand(w, &takes_value)).collect::<Vec<_>>();
    let some = |s: &str| Some(s.to_string());
    assert_eq!(first("kbz-check -e app.env --title \"Mail reality check\" run db"), [some("run")]);
    assert_eq!(first("kbz-check --strict --id=X -f json lsit"), [some("lsit")]);
    assert_eq!(first("sudo kbz-check --as-pid \"$(pidof app)\" all"), [some("all")]);
    assert_eq!(first("docker run --rm img/kbz-check:0.1.0 --env-file /e list"), [some("list")]);
    assert_eq!(first("kbz-check [OPTIONS] run NAME..."), [some("run")]);
    assert_eq!(first("kbz-check <command> ..."), [None]);
    assert_eq!(first("kbz-check --version | head -1"), [None]);
    assert_eq!(first("kbz-check -e <backend env file> run vault oauth"), [some("run")]);
    let code =
        code_of("kbz-check reads the app's variables; `kbz-check lsit` is a typo.\n\n```sh\nkbz-check init\n```\n");
    assert_eq!(
        invocations(&code).iter().filter_map(|w| subcommand(w, &takes_value)).collect::<Vec<_>>(),
        ["lsit", "init"]
    );
}
