//! A check's `Names`: how the report names each of its settings (the
//! variable that fed it, `AWS_SES_REGION`, or where to set it, `` `region` in
//! [checks.ses] ``), so that causes and actions name what the reader has to
//! change. Every kind declares and fills its `Names` the same way: one macro
//! serves them all.

/// Declares `Names`, one `String` field per setting key (each field is
/// named as its key), with `Names::of(raw)`, which fills every field from
/// the raw settings, and, for tests, `Names::by_variable(&KIND)`.
macro_rules! setting_names {
    ($($key:ident),+ $(,)?) => {
        /// How the report names each setting: the variable that fed it, or
        /// where to set it (`` `region` in [checks.ses] ``).
        #[derive(Clone, Debug)]
        pub struct Names {
            $(pub $key: String,)+
        }

        impl Names {
            /// Each setting as `raw` names it.
            fn of(raw: &$crate::settings::RawSettings) -> Names {
                Names { $($key: raw.setting_name(stringify!($key)),)+ }
            }

            /// Each setting named by the variable the built-in suite reads
            /// for it, else by its key in `[checks.<kind>]`.
            #[cfg(test)]
            pub(crate) fn by_variable(kind: &$crate::checks::Kind) -> Names {
                Names { $($key: $crate::settings::names::name_by_variable(kind, stringify!($key)),)+ }
            }
        }
    };
}
pub(crate) use setting_names;

/// `key` of `kind` named by its built-in variable, or by its key in
/// `[checks.<kind>]` for a setting no variable feeds (the tests' fixtures).
#[cfg(test)]
pub(crate) fn name_by_variable(kind: &crate::checks::Kind, key: &str) -> String {
    match kind.variables.iter().find(|(setting, _)| *setting == key) {
        Some((_, variable)) => variable.to_string(),
        None => format!("`{key}` in [checks.{}]", kind.name),
    }
}
