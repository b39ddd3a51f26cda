//! Tools the tests run from PyPI (OpenBao's `bao`, moto's `moto_server`),
//! which scripts/test installs into target/test-venv.

use std::path::{Path, PathBuf};

/// `$KBZ_TEST_VENV/bin/NAME`, else `target/test-venv/bin/NAME`; a clear
/// panic naming the PyPI `package` when neither exists.
pub fn binary(name: &str, package: &str) -> PathBuf {
    let from_env = std::env::var_os("KBZ_TEST_VENV").map(|venv| PathBuf::from(venv).join("bin").join(name));
    let in_target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-venv/bin").join(name);
    from_env.filter(|p| p.is_file()).or(Some(in_target).filter(|p| p.is_file())).unwrap_or_else(|| {
        panic!(
            "`{name}` is not installed: run scripts/test (it installs {package} from PyPI into target/test-venv), \
             or set KBZ_TEST_VENV to a virtualenv that has it"
        )
    })
}
