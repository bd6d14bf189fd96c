//! `ticksupply auth`: one key per environment, kept in the OS keyring, verified after rotation.
//!
//! The files and the precedence rule are the core's (`ticksupply::profiles`); this module reads
//! keys from the user, talks to them, and prints.

use std::io::{IsTerminal, Read};

use serde_json::json;
use ticksupply::config::{redact, resolve_base_url};
use ticksupply::profiles::{self, Config, KeyStore, Keys, PROFILE_ENV};
use ticksupply::{Client, KeySource, RateLimit};

use crate::args::{AuthCmd, Cli};
use crate::error::CliError;
use crate::output::{err, out};
use crate::table::{Table, kv};

/// The profile `login` and `logout` act on: `--profile`, else `TICKSUPPLY_PROFILE`, else the
/// default profile, else (login only) `default`.
fn target_profile(cli: &Cli, config: &Config, fallback: Option<&str>) -> Result<String, CliError> {
    let env = std::env::var(PROFILE_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty());
    let name = cli
        .profile
        .clone()
        .or(env)
        .or_else(|| config.default_profile().map(str::to_string))
        .or_else(|| fallback.map(str::to_string))
        .ok_or_else(|| {
            CliError::Usage(format!(
                "no profile named: pass --profile, or set {PROFILE_ENV} (and {} has no \
                 default_profile)",
                config.path().display()
            ))
        })?;
    let name = name.trim().to_string();
    profiles::check_name(&name)?;
    Ok(name)
}

pub async fn run(cli: &Cli, cmd: &AuthCmd) -> Result<(), CliError> {
    let dir = profiles::config_dir()?;
    let mut config = Config::load(&dir)?;
    let keys = Keys::new(&dir)?;
    match cmd {
        AuthCmd::Login { base_url } => login(cli, &mut config, &keys, base_url.as_deref()).await,
        AuthCmd::Status => status(cli, &config, &keys),
        AuthCmd::Check => check(cli).await,
        AuthCmd::Switch { profile } => switch(cli, &mut config, profile),
        AuthCmd::Logout => logout(cli, &mut config, &keys),
    }
}

/// The key from stdin when it is piped (`… | ticksupply auth login`), else from a prompt that
/// does not echo.
fn read_key(profile: &str) -> Result<(String, KeySource), CliError> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let key = rpassword::prompt_password(format!("API key for profile '{profile}': "))
            .map_err(|e| CliError::Io {
                what: "cannot read the key from the terminal".into(),
                source: e,
            })?;
        return Ok((key, KeySource::Prompt));
    }
    let mut key = String::new();
    stdin
        .lock()
        .take(64 * 1024)
        .read_to_string(&mut key)
        .map_err(|e| CliError::Io {
            what: "cannot read the key from standard input".into(),
            source: e,
        })?;
    if key.trim().is_empty() {
        return Err(CliError::Usage(
            "standard input held no key: pipe the key in (`… | ticksupply auth login`), or run \
             in a terminal to be prompted"
                .into(),
        ));
    }
    Ok((key, KeySource::Stdin))
}

async fn login(
    cli: &Cli,
    config: &mut Config,
    keys: &Keys,
    base_url: Option<&str>,
) -> Result<(), CliError> {
    let name = target_profile(cli, config, Some("default"))?;
    let configured = match base_url {
        Some(u) => Some((u.to_string(), "--base-url".to_string())),
        None => config.profile(&name).and_then(|p| p.base_url).map(|u| {
            let from = format!("profile '{name}' in {}", config.path().display());
            (u, from)
        }),
    };
    let url = resolve_base_url(
        None,
        configured.as_ref().map(|(u, f)| (u.as_str(), f.as_str())),
    )?;
    let (key, source) = read_key(&name)?;
    let client = crate::commands::builder(cli)
        .api_key_from(key.trim(), source)
        .base_url(url.clone())
        .build()?;
    let hint = client.api_key_hint();
    if let Err(e) = client.exchanges().list().send_with_meta().await {
        err(&format!(
            "ticksupply: the key was not stored (profile '{name}' unchanged)"
        ));
        return Err(e.into());
    }
    let saved = keys.save(&name, key.trim())?;
    config.upsert(&name, base_url)?;
    let became_default = config.default_profile().is_none();
    if became_default {
        config.set_default(Some(&name));
    }
    config.save()?;
    if let (Some(reason), Some(file)) = (&saved.fallback_reason, &saved.file) {
        err(&format!(
            "note: no OS keyring was used ({reason}); the key is stored in {} (mode 0600, \
             readable by you only)",
            file.display()
        ));
    }
    let mut line = format!(
        "Logged in profile '{name}' (key {hint}, {url}); key stored in the {}",
        match saved.store {
            KeyStore::Keyring => "OS keyring",
            KeyStore::File => "credentials file",
        }
    );
    if became_default {
        line.push_str(&format!(". '{name}' is the default profile"));
    }
    if cli.json {
        out(&json!({
            "profile": name,
            "key": hint,
            "key_store": saved.store.to_string(),
            "base_url": url,
            "default": became_default || config.default_profile() == Some(name.as_str()),
        })
        .to_string());
    } else {
        out(&line);
    }
    Ok(())
}

/// What a client would use now, without asking the API: `(source, profile, key hint)`.
fn in_use(cli: &Cli) -> Result<(String, Option<String>, String), ticksupply::Error> {
    let explicit = crate::commands::key_file(cli).map_err(|e| match e {
        CliError::Api(e) => e,
        other => ticksupply::Error::Config(other.to_string()),
    })?;
    let r = profiles::resolve(
        explicit.as_ref().map(|(k, s)| (k.as_str(), s.clone())),
        cli.profile.as_deref(),
    )?;
    Ok((
        r.key.source().to_string(),
        r.profile.map(|p| p.name),
        r.key.hint().to_string(),
    ))
}

fn status(cli: &Cli, config: &Config, keys: &Keys) -> Result<(), CliError> {
    let default = config.default_profile();
    let mut rows = Vec::new();
    for p in config.profiles() {
        let (key, store) = match keys.get(&p.name) {
            Ok(Some((k, s))) => (Some(redact(&k)), Ok(Some(s))),
            Ok(None) => (None, Ok(None)),
            Err(e) => (None, Err(e.to_string())),
        };
        let url = resolve_base_url(None, p.base_url.as_deref().map(|u| (u, "config.toml")))
            .unwrap_or_else(|e| format!("invalid: {e}"));
        rows.push((p, key, store, url));
    }
    let active = in_use(cli);
    if cli.json {
        let profiles: Vec<_> = rows
            .iter()
            .map(|(p, key, store, url)| {
                json!({
                    "name": p.name,
                    "default": default == Some(p.name.as_str()),
                    "base_url": url,
                    "base_url_configured": p.base_url,
                    "key": key,
                    "key_store": store.as_ref().ok().copied().flatten().map(|s| s.to_string()),
                    "key_error": store.as_ref().err(),
                })
            })
            .collect();
        let in_use = match &active {
            Ok((source, profile, key)) => json!({"source": source, "profile": profile, "key": key}),
            Err(e) => json!({"error": e.to_string()}),
        };
        out(&json!({
            "config_dir": config.path().parent().map(|d| d.display().to_string()),
            "config_file": config.path().display().to_string(),
            "credentials_file": keys.file_path().display().to_string(),
            "default_profile": default,
            "in_use": in_use,
            "profiles": profiles,
        })
        .to_string());
        return Ok(());
    }
    if rows.is_empty() {
        out(&format!(
            "No profiles in {}. Run `ticksupply auth login --profile NAME` to add one.",
            config.path().display()
        ));
    } else {
        let mut t = Table::new(&["PROFILE", "DEFAULT", "BASE URL", "KEY", "STORED IN"]);
        for (p, key, store, url) in &rows {
            let stored = match store {
                Ok(Some(s)) => s.to_string(),
                Ok(None) => "no key: run `ticksupply auth login`".into(),
                Err(e) => format!("unreadable: {e}"),
            };
            t.row(vec![
                p.name.clone(),
                if default == Some(p.name.as_str()) {
                    "*".into()
                } else {
                    String::new()
                },
                url.clone(),
                key.clone().unwrap_or_else(|| "-".into()),
                stored,
            ]);
        }
        out(&t.render());
    }
    out(&match &active {
        Ok((source, _, key)) => format!("In use: {key} from {source}"),
        Err(e) => format!("In use: none ({e})"),
    });
    Ok(())
}

fn rate_text(r: &RateLimit) -> String {
    let part = |left: Option<u64>, limit: Option<u64>, per: &str| match (left, limit) {
        (Some(l), Some(n)) => format!("{l}/{n} left this {per}"),
        (None, Some(n)) => format!("{n} per {per}"),
        _ => format!("{per}: not reported"),
    };
    format!(
        "{}, {}",
        part(r.remaining_minute, r.limit_minute, "minute"),
        part(r.remaining_hour, r.limit_hour, "hour")
    )
}

/// The rotation guide's "verify everything works": one authenticated request with the key every
/// other command would use.
async fn check(cli: &Cli) -> Result<(), CliError> {
    let client: Client = crate::commands::client(cli)?;
    let source = client.api_key_source().to_string();
    let r = client.exchanges().list().send_with_meta().await?;
    let request_id = r.meta.request_id.clone().unwrap_or_else(|| "-".into());
    if cli.json {
        out(&json!({
            "ok": true,
            "key": client.api_key_hint(),
            "source": source,
            "base_url": client.base_url(),
            "request_id": request_id,
            "rate_limit": r.meta.rate_limit,
        })
        .to_string());
    } else {
        out(&kv(&[
            ("Key", client.api_key_hint()),
            ("Source", source),
            ("Base URL", client.base_url().to_string()),
            ("Request id", request_id),
            ("Rate limits", rate_text(&r.meta.rate_limit)),
            ("Result", "the API accepted the key".into()),
        ]));
    }
    Ok(())
}

fn switch(cli: &Cli, config: &mut Config, profile: &str) -> Result<(), CliError> {
    profiles::check_name(profile)?;
    if config.profile(profile).is_none() {
        let known: Vec<String> = config.profiles().into_iter().map(|p| p.name).collect();
        return Err(CliError::Usage(format!(
            "profile '{profile}' is not in {} (profiles: {}); log in to it first with \
             `ticksupply auth login --profile {profile}`",
            config.path().display(),
            if known.is_empty() {
                "none".into()
            } else {
                known.join(", ")
            }
        )));
    }
    config.set_default(Some(profile));
    config.save()?;
    if cli.json {
        out(&json!({"default_profile": profile}).to_string());
    } else {
        out(&format!("Default profile: {profile}"));
    }
    Ok(())
}

fn logout(cli: &Cli, config: &mut Config, keys: &Keys) -> Result<(), CliError> {
    let name = target_profile(cli, config, None)?;
    let from = keys.delete(&name)?;
    let was_default = config.default_profile() == Some(name.as_str());
    let known = config.remove(&name);
    if !known && from.is_empty() {
        return Err(CliError::Usage(format!(
            "profile '{name}' is not in {} and has no key stored; nothing to log out of",
            config.path().display()
        )));
    }
    config.save()?;
    let stores: Vec<String> = from.iter().map(|s| s.to_string()).collect();
    if cli.json {
        out(
            &json!({"profile": name, "removed_from": stores, "was_default": was_default})
                .to_string(),
        );
        return Ok(());
    }
    let mut line = format!("Logged out of profile '{name}'");
    if !stores.is_empty() {
        line.push_str(&format!(
            " (key removed from the {})",
            stores.join(" and the ")
        ));
    }
    if was_default {
        line.push_str(
            "; there is no default profile now: choose one with `ticksupply auth switch NAME`",
        );
    }
    out(&line);
    Ok(())
}
