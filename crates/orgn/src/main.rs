use std::process::ExitCode;

fn main() -> ExitCode {
    orgn::cli::main()
}
