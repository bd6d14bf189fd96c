//! `ticksupply-mock [--host 127.0.0.1] [--port 8080] [--key ACCOUNT=KEY]...
//!                  [--rate-limit-minute 200] [--rate-limit-hour 10000]
//!                  [--export-delay-ms 2000] [--artifact-size BYTES]
//!                  [--url-ttl-ms 300000] [--artifact-port 0]`

use std::io::Write;
use std::process::ExitCode;

use ticksupply_mock::Config;

const USAGE: &str = "usage: ticksupply-mock [--host 127.0.0.1] [--port 8080] [--key ACCOUNT=KEY]...
                       [--rate-limit-minute 200] [--rate-limit-hour 10000]
                       [--export-delay-ms 2000] [--artifact-size BYTES]
                       [--url-ttl-ms 300000] [--artifact-port 0]";

fn parse(args: &[String]) -> Result<Config, String> {
    let mut c = Config::default();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            return Err(String::new());
        }
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (flag.as_str(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        fn num<T: std::str::FromStr>(name: &str, v: String) -> Result<T, String> {
            v.parse()
                .map_err(|_| format!("{name}: '{v}' is not a valid number"))
        }
        match name {
            "--host" => c.host = value()?,
            "--port" => c.port = num(name, value()?)?,
            "--artifact-port" => c.artifact_port = num(name, value()?)?,
            "--key" => {
                let v = value()?;
                let (a, k) = v
                    .split_once('=')
                    .filter(|(a, k)| !a.is_empty() && !k.is_empty())
                    .ok_or_else(|| format!("--key: expected ACCOUNT=KEY, got '{v}'"))?;
                c.keys.push((a.to_string(), k.to_string()));
            }
            "--rate-limit-minute" => c.rate_limit_minute = num(name, value()?)?,
            "--rate-limit-hour" => c.rate_limit_hour = num(name, value()?)?,
            "--export-delay-ms" => c.export_delay_ms = num(name, value()?)?,
            "--artifact-size" => c.artifact_size = Some(num(name, value()?)?),
            "--url-ttl-ms" => c.url_ttl_ms = num(name, value()?)?,
            other => return Err(format!("unknown option '{other}'")),
        }
    }
    if c.rate_limit_minute == 0 || c.rate_limit_hour == 0 {
        return Err("rate limits must be at least 1".into());
    }
    Ok(c)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match parse(&args) {
        Ok(c) => c,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("ticksupply-mock: {msg}");
            }
            eprintln!("{USAGE}");
            return if msg.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async move {
        let server = match ticksupply_mock::start(config).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("ticksupply-mock: cannot listen: {e}");
                return ExitCode::FAILURE;
            }
        };
        let mut out = std::io::stdout().lock();
        for line in server.banner() {
            let _ = writeln!(out, "{line}");
        }
        let _ = out.flush();
        drop(out);
        let _ = tokio::signal::ctrl_c().await;
        ExitCode::SUCCESS
    })
}
