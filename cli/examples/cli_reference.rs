//! Prints the command line's reference as Markdown, from the same clap definitions the program
//! parses with: `make docs` writes it into docs/reference/cli.md.

use ticksupply_cli::args::Cli;

fn main() {
    let options = clap_markdown::MarkdownOptions::new()
        .title("Command-line reference".to_string())
        .show_footer(false)
        .show_table_of_contents(true);
    print!("{}", clap_markdown::help_markdown_custom::<Cli>(&options));
}
