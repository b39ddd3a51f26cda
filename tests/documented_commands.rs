//! Every option the documentation gives kbz-check exists: the README's and
//! docs/'s recipes are copied into terminals at 3 a.m., and a flag renamed
//! in the code but not in a recipe fails there, not here.

use clap::CommandFactory;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Every long option of the command line, on the main command or a subcommand.
fn known_options() -> BTreeSet<String> {
    let command = kbz_check::cli::Cli::command();
    let mut known: BTreeSet<String> = ["help", "version"].map(String::from).into();
    for cmd in std::iter::once(&command).chain(command.get_subcommands()) {
        known.extend(cmd.get_arguments().filter_map(|arg| arg.get_long()).map(|long| long.to_string()));
    }
    known
}

fn markdown_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    let mut dirs = vec![root.join("docs")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().map(Result::unwrap) {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|ext| ext == "md") {
                files.push(path);
            }
        }
    }
    files
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

/// The options given to kbz-check in `text`: after each `kbz-check` that a
/// shell would run, up to the end of its command. Lines ending in `\`
/// continue; a `$(…)` is another command's.
fn options_given(text: &str) -> Vec<String> {
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
            for word in command.split_whitespace() {
                if let Some(option) = word.strip_prefix("--").filter(|o| !o.is_empty()) {
                    found.push(option.split('=').next().unwrap().to_string());
                }
            }
        }
    }
    found
}

#[test]
fn every_option_in_the_documentation_exists() {
    let known = known_options();
    let mut unknown = Vec::new();
    let mut seen = BTreeSet::new();
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        for option in options_given(&text) {
            if !known.contains(&option) {
                unknown.push(format!("{}: --{option}", file.display()));
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
fn the_extraction_reads_shell_lines_as_a_person_does() {
    let text = "kubectl debug -it pod --target=app --image=r/kbz-check:1 --custom=p.json \\\n  -- kbz-check --env-from-pid 1 all | jq --raw-output .verdict\n\
                docker run --rm img/kbz-check:0.1 --env-file /e all\nsee github.com/x/kbz-check/blob --nope\n\
                `kbz-check --json r.json all` and --not-this\nkubectl delete job kbz-check --ignore-not-found\n\
                sudo ./target/release/kbz-check --as-pid \"$(systemctl show -p MainPID --value app.service)\" --strict all\n\
                DATABASE_URL=x kbz-check --timeout 5s all";
    assert_eq!(options_given(text), ["env-from-pid", "env-file", "json", "as-pid", "strict", "timeout"]);
}
