//! Where a setting's value came from, for `list` and for error messages.

use crate::env::VarSource;
use crate::secret::Secret;
use std::fmt;
use std::path::PathBuf;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The check's built-in default.
    Default,
    /// The built-in suite as a whole, which reads the environment.
    BuiltIn,
    /// Straight from a variable (the built-in suite), with the values other
    /// sources gave it that lost and differ ([`crate::env::Var::overridden`]).
    Var { name: String, source: VarSource, overridden: Vec<(VarSource, Secret)> },
    /// A suite file line, with the `${VAR}`s it interpolated, and the values
    /// other sources gave those variables that lost and differ.
    Suite {
        file: PathBuf,
        line: usize,
        vars: Vec<(String, Option<VarSource>)>,
        overridden: Vec<(String, VarSource, Secret)>,
    },
}

impl Origin {
    /// The place to point at in an error: `kbz-check.toml:7` or `$DATABASE_URL (process environment)`.
    pub fn location(&self) -> String {
        match self {
            Origin::Default => "default".to_string(),
            Origin::BuiltIn => "built-in suite (environment)".to_string(),
            Origin::Var { name, source, .. } => format!("${name} ({source})"),
            Origin::Suite { file, line, .. } => format!("{}:{line}", file.display()),
        }
    }

    /// The variable to set when this value turned out empty, if a variable feeds it.
    pub fn variable(&self) -> Option<&str> {
        match self {
            Origin::Var { name, .. } => Some(name),
            Origin::Suite { vars, .. } => vars.first().map(|(name, _)| name.as_str()),
            Origin::Default | Origin::BuiltIn => None,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.location())?;
        if let Origin::Suite { vars, .. } = self {
            for (name, source) in vars {
                match source {
                    Some(source) => write!(f, " ← ${name} ({source})")?,
                    None => write!(f, " ← ${name} (unset, default used)")?,
                }
            }
        }
        Ok(())
    }
}
