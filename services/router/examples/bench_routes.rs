//! Rule evaluation per message with 1,000 `[[routes]]`.
//!
//! `cargo run --release -p router --example bench_routes [N]`
//!
//! The table: 990 destination-prefix routes (`+99000` ... `+99989`), then
//! routes by regular expression, country, sender, tenant and metadata, then a
//! default route over a weighted group. Each case routes N requests and
//! prints the time per request: the first route matching (the cheapest), the
//! last (every matcher tried, the country looked up once), and a request no
//! route but the default takes.
//!
//! Then one route over many connections (`round_robin`, `weighted`,
//! `least_loaded`; 2, 20 and 200 members, each link up): what choosing a
//! member costs per request as a route grows, as in `smsgw-bench
//! connections`, where every request goes through one route over all.

#![allow(clippy::expect_used)] // a bench: a table that does not load ends it

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use events::Metadata;
use records::links::Links;
use router::matcher::Facts;
use router::number::Number;
use router::route::Routes;

fn settings() -> runtime::Settings {
    let mut toml = String::from("[kafka]\nbrokers = \"x:1\"\n");
    for c in ["a", "b", "c"] {
        toml +=
            &format!("[[connections]]\nid = \"{c}\"\nprotocol = \"smpp\"\nhost = \"h\"\nport = 1\nsystem_id = \"s\"\n");
    }
    for i in 0..990 {
        toml += &format!("[[routes]]\nid = \"p{i}\"\nto_prefix = [\"+99{i:03}\", \"+98{i:03}\"]\nconnection = \"a\"\n");
    }
    let others = [
        r#"to_regex = '^\+97[0-9]{6}$'"#,
        r#"to_regex = '^\+96(1|2|3)'"#,
        r#"to_country = ["FR", "BE"]"#,
        r#"to_country = "JP""#,
        r#"from = ["BANK", "SHOP"]"#,
        r#"tenant = "acme""#,
        r#"metadata = { kind = "otp" }"#,
        r#"class = "flash""#,
        r#"to_country = "GB"
        from = "INFO""#,
    ];
    for (i, m) in others.iter().enumerate() {
        toml += &format!("[[routes]]\nid = \"o{i}\"\n{m}\nconnections = [\"a\", \"b\"]\nstrategy = \"round_robin\"\n");
    }
    toml += "[[routes]]\nid = \"default\"\nconnections = [\"a\", \"b\", \"c\"]\nstrategy = \"weighted\"\nweights = [3, 2, 1]\n";
    runtime::Settings::from_toml(&toml).expect("the table loads")
}

/// A table of one route over `members` connections with `strategy`.
fn wide(members: usize, strategy: &str) -> runtime::Settings {
    let mut toml = String::from("[kafka]\nbrokers = \"x:1\"\n");
    let ids: Vec<String> = (0..members).map(|i| format!("smsc-{i:03}")).collect();
    for c in &ids {
        toml +=
            &format!("[[connections]]\nid = \"{c}\"\nprotocol = \"smpp\"\nhost = \"h\"\nport = 1\nsystem_id = \"s\"\n");
    }
    let list = ids.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
    let weights = match strategy {
        "weighted" => {
            format!("weights = [{}]\n", (0..members).map(|i| (1 + i % 3).to_string()).collect::<Vec<_>>().join(", "))
        }
        _ => String::new(),
    };
    toml += &format!("[[routes]]\nid = \"all\"\nconnections = [{list}]\nstrategy = \"{strategy}\"\n{weights}");
    runtime::Settings::from_toml(&toml).expect("the table loads")
}

/// Nanoseconds per request through the one route of [`wide`], every link up.
fn choose(members: usize, strategy: &str, ids: &[String], n: usize) -> f64 {
    let settings = wide(members, strategy);
    let links = Arc::new(Links::new(0));
    for c in &settings.connections {
        links.record(records::LinkReport::new(&c.id, "replica-1", 2, 0));
    }
    let routes = Routes::new(&settings, links);
    let to = Number::International("4915112345678".into());
    let metadata = Metadata::new();
    let start = Instant::now();
    for i in 0..n {
        let facts = Facts::new(&to, None, None, &metadata, false);
        black_box(routes.pick(&ids[i % ids.len()], None, &facts, 0).expect("routed"));
    }
    start.elapsed().as_nanos() as f64 / n as f64
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let settings = settings();
    assert_eq!(settings.routes.len(), 1_000);
    let routes = Routes::new(&settings, Arc::new(Links::new(0)));
    let ids: Vec<String> = (0..1024).map(|i| format!("0190f1c2-6a3b-7c41-9f0e-{i:012}")).collect();
    let metadata = Metadata::new();
    let cases = [
        ("first route matches", "9900012345", "p0"),
        ("last route matches (default)", "4915112345678", "default"),
        ("a country route matches", "33612345678", "o2"),
    ];
    println!("{} routes, {n} requests per case", settings.routes.len());
    for (name, digits, expected) in cases {
        let to = Number::International(digits.into());
        let once = routes.pick(&ids[0], None, &Facts::new(&to, None, None, &metadata, false), 0).expect("routed");
        assert_eq!(once.route.id.as_deref(), Some(expected), "{name}");
        let start = Instant::now();
        for i in 0..n {
            let facts = Facts::new(&to, None, None, &metadata, false);
            black_box(routes.pick(&ids[i % ids.len()], None, &facts, 0).ok());
        }
        let per = start.elapsed().as_nanos() as f64 / n as f64;
        println!("{name:<32} {per:>9.0} ns/request  {:>10.0} requests/s per core", 1e9 / per);
    }
    for strategy in ["round_robin", "weighted", "least_loaded"] {
        for members in [2, 20, 200] {
            let per = choose(members, strategy, &ids, n / 10);
            println!("one {strategy} route over {members:>3} connections {per:>9.0} ns/request");
        }
    }
}
