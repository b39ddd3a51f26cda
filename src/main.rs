use std::process::ExitCode;

fn main() -> ExitCode {
    kbz_check::app::main()
}
