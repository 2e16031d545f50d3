//! `smsgw text`: how a text would be sent — encoding and national tables,
//! `data_coding`, segments, characters and units per segment, and the raw
//! bytes of each `short_message` — for planning campaigns (fewest segments =
//! lowest bill) and for checking an SMSC's complaint byte by byte.

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use text::{Concat, Language, MessageClass, Preference, SplitOptions};

#[derive(Debug, Args)]
pub struct TextArgs {
    /// The text; read from standard input when absent or `-`.
    pub text: Option<String>,
    /// auto (fewest segments), gsm7, ucs2 or latin1.
    #[arg(long, value_parser = parse_preference, default_value = "auto")]
    pub encoding: Preference,
    /// How parts are tied together: udh8, udh16, sar or payload.
    #[arg(long, value_parser = parse_concat)]
    pub concat: Option<Concat>,
    /// National language shift tables allowed, comma-separated (e.g. `turkish,spanish`).
    #[arg(long, value_delimiter = ',', value_parser = parse_language)]
    pub languages: Vec<Language>,
    /// Most segments allowed (the router's `max_segments`).
    #[arg(long)]
    pub max_segments: Option<usize>,
    /// Flash SMS (message class 0).
    #[arg(long)]
    pub flash: bool,
    /// Take `concat`, `national_languages` and `max_segments` from this configuration...
    #[arg(long, requires = "connection")]
    pub config: Option<PathBuf>,
    /// ...for this connection. Flags given on the command line win.
    #[arg(long, requires = "config")]
    pub connection: Option<String>,
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str, what: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|_| format!("unknown {what} `{s}`"))
}

fn parse_preference(s: &str) -> Result<Preference, String> {
    from_json(s, "encoding")
}

fn parse_concat(s: &str) -> Result<Concat, String> {
    from_json(s, "concat (expected udh8, udh16, sar or payload)")
}

fn parse_language(s: &str) -> Result<Language, String> {
    from_json(s.trim(), "language")
}

/// The split options `args` describe.
pub fn options(args: &TextArgs) -> anyhow::Result<SplitOptions> {
    let mut opts = SplitOptions::default();
    if let (Some(path), Some(id)) = (&args.config, &args.connection) {
        let settings = runtime::Settings::load(path)?;
        let connection = settings
            .connections
            .iter()
            .find(|c| &c.id == id)
            .with_context(|| format!("no connection `{id}` in {}", path.display()))?;
        opts = connection.split_options(settings.router.max_segments);
    }
    if let Some(concat) = args.concat {
        opts.concat = concat;
    }
    if !args.languages.is_empty() {
        opts.languages = args.languages.iter().copied().collect();
    }
    if let Some(max) = args.max_segments {
        opts.max_segments = max;
    }
    opts.class = args.flash.then_some(MessageClass::Class0);
    Ok(opts)
}

/// Prints the plan for the text of `args`.
pub fn run(args: TextArgs) -> anyhow::Result<()> {
    let opts = options(&args)?;
    let text = match args.text.as_deref() {
        Some(t) if t != "-" => t.to_owned(),
        _ => {
            let mut buf = String::new();
            std::io::stdin().read_to_string(&mut buf).context("reading the text from standard input")?;
            // A trailing newline from `echo` or a file is not part of the message.
            buf.strip_suffix('\n').map(str::to_owned).unwrap_or(buf)
        }
    };
    let plan = text::explain(&text, args.encoding, &opts)?;
    print!("{plan}");
    Ok(())
}
