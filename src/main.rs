//! Command-line entry point: `serve` (default), `migrate`, `import`, `reindex` and `token`.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{Duration, Utc};
use clap::{Parser, Subcommand};

use mcp_markdown_manager::auth::generate_token;
use mcp_markdown_manager::config::{
    Config, DatabaseConfig, InputLimits, LogFormat, SemanticConfig,
};
use mcp_markdown_manager::domain::{FolderPath, TokenName};
use mcp_markdown_manager::import::{ConflictPolicy, ImportOptions, import_dir};
use mcp_markdown_manager::search::reindex;
use mcp_markdown_manager::startup::Application;
use mcp_markdown_manager::store::model::Scope;
use mcp_markdown_manager::store::{self, tokens};
use mcp_markdown_manager::telemetry;

#[derive(Parser)]
#[command(
    name = "mcp-markdown-manager",
    version,
    about = "Markdown article store for AI agents, served over MCP, REST and a browser UI"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply migrations and serve HTTP (REST, MCP). The default command.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Import markdown files from a directory; subdirectories become folders.
    Import {
        /// Directory to read `.md` files from, recursively.
        dir: PathBuf,
        /// What to do when an article with the same slug exists.
        #[arg(long, value_enum, default_value = "skip")]
        conflict: ConflictPolicy,
        /// Parse and check everything, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Place imported folders under this folder.
        #[arg(long, default_value = "")]
        folder: String,
        /// Files written per transaction.
        #[arg(long, default_value_t = 100)]
        batch_size: usize,
    },
    /// Export every article as markdown with frontmatter (folders become directories).
    Export {
        /// Directory to write into; it is created if missing.
        dir: PathBuf,
    },
    /// Check that the server on 127.0.0.1:$PORT answers `/health` (for container health checks).
    Healthcheck,
    /// Security audit log tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// List or revoke the MCP sessions of the server running on 127.0.0.1:$PORT (uses AUTH_TOKEN).
    Sessions {
        #[command(subcommand)]
        command: SessionsCommand,
    },
    /// Embed articles for semantic search in this process and wait until the queue is empty.
    Reindex {
        /// Embed only articles that are queued or have no vectors of the current model,
        /// instead of embedding every article again.
        #[arg(long)]
        changed_only: bool,
    },
    /// Manage access tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verify the hash chain of an audit file; reports the first edited or removed line.
    /// The key is SECURITY_AUDIT_HMAC_KEY, or derived from AUTH_TOKEN as the server does.
    Verify { file: PathBuf },
}

#[derive(Subcommand)]
enum SessionsCommand {
    /// Print active sessions: id, token, IP, age, idle time and request count.
    List,
    /// Revoke one session by id, every session of a token, or all sessions.
    Revoke {
        /// Session id from `sessions list`.
        #[arg(long, conflicts_with_all = ["token_id", "all"])]
        id: Option<String>,
        /// Revoke every session of this access token.
        #[arg(long, conflicts_with = "all")]
        token_id: Option<i64>,
        /// Revoke every session.
        #[arg(long)]
        all: bool,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an access token and print it once.
    Create {
        /// Display name, e.g. the agent or script that uses the token.
        #[arg(long)]
        name: String,
        /// `read-only` or `write`.
        #[arg(long, default_value = "read-only")]
        scope: String,
        /// Expire the token after this many days.
        #[arg(long)]
        expires_in_days: Option<i64>,
    },
    /// List access tokens (never their values).
    List,
    /// Revoke an access token by id.
    Revoke { id: i64 },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let log_format = match std::env::var("LOG_FORMAT").as_deref() {
        Ok("json") => LogFormat::Json,
        _ => LogFormat::Pretty,
    };
    telemetry::init(log_format);

    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(),
        Command::Healthcheck => healthcheck(),
        Command::Sessions { command } => run_sessions_command(command),
        Command::Audit {
            command: AuditCommand::Verify { file },
        } => verify_audit(&file),
        other => actix_web::rt::System::new().block_on(run_command(other)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Exits 0 when `GET /health` on the local port answers 200; needs no curl in the image.
fn healthcheck() -> anyhow::Result<()> {
    use std::io::{Read, Write};
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(5000);
    let timeout = std::time::Duration::from_secs(3);
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = std::net::TcpStream::connect_timeout(&address, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply)?;
    if reply.starts_with("HTTP/1.1 200") {
        Ok(())
    } else {
        anyhow::bail!(
            "health check failed: {}",
            reply.lines().next().unwrap_or("no reply")
        )
    }
}

fn admin_token() -> anyhow::Result<String> {
    let config = Config::from_env()?;
    Ok(config.auth_token.expose().to_owned())
}

fn run_sessions_command(command: SessionsCommand) -> anyhow::Result<()> {
    use mcp_markdown_manager::local_api::call;
    let token = admin_token()?;
    let (method, path) = match &command {
        SessionsCommand::List => ("GET", "/api/security/sessions".to_owned()),
        SessionsCommand::Revoke { id: Some(id), .. } => {
            ("DELETE", format!("/api/security/sessions/{id}"))
        }
        SessionsCommand::Revoke {
            token_id: Some(token_id),
            ..
        } => (
            "DELETE",
            format!("/api/security/sessions?tokenId={token_id}"),
        ),
        SessionsCommand::Revoke { all: true, .. } => {
            ("DELETE", "/api/security/sessions".to_owned())
        }
        SessionsCommand::Revoke { .. } => {
            anyhow::bail!("say which sessions: --id ID, --token-id N or --all")
        }
    };
    let reply = call(method, &path, Some(&token)).map_err(|e| {
        anyhow::anyhow!(
            "failed to reach the server on 127.0.0.1 (is it running, and is PORT right?): {e}"
        )
    })?;
    if reply.status != 200 {
        anyhow::bail!("the server answered {}: {}", reply.status, reply.body);
    }
    let value: serde_json::Value = serde_json::from_str(&reply.body)?;
    match command {
        SessionsCommand::List => {
            for session in value.as_array().into_iter().flatten() {
                println!(
                    "{}\t{}\t{}\tage {}s\tidle {}s\t{} requests",
                    session["id"].as_str().unwrap_or("?"),
                    session["tokenName"].as_str().unwrap_or("?"),
                    session["ip"].as_str().unwrap_or("?"),
                    session["ageSeconds"],
                    session["idleSeconds"],
                    session["requests"],
                );
            }
        }
        SessionsCommand::Revoke { .. } => println!("revoked {} sessions", value["revoked"]),
    }
    Ok(())
}

fn verify_audit(file: &std::path::Path) -> anyhow::Result<()> {
    use mcp_markdown_manager::security::audit::{Verification, verify};
    let key = mcp_markdown_manager::config::audit_key_from_process_env()?;
    match verify(file, key.expose())? {
        Verification::Intact {
            lines,
            first_sequence,
        } => {
            println!(
                "{}: intact, {lines} lines from sequence {first_sequence}",
                file.display()
            );
            Ok(())
        }
        Verification::Broken { line, reason } => {
            anyhow::bail!("{}: broken at line {line}: {reason}", file.display())
        }
    }
}

fn serve() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    if config.insecure_dev_mode {
        tracing::warn!(
            "INSECURE_DEV_MODE is on: a short AUTH_TOKEN is accepted; never use this in production"
        );
    }
    actix_web::rt::System::new().block_on(async move {
        let application = Application::build(config).await?;
        application.run_with_signals().await?;
        Ok(())
    })
}

async fn run_command(command: Command) -> anyhow::Result<()> {
    let database = DatabaseConfig::from_process_env()?;
    let pool = store::connect(&database).await?;
    match command {
        Command::Serve => unreachable!("serve is handled by main"),
        Command::Migrate => {
            println!("migrations applied");
        }
        Command::Import {
            dir,
            conflict,
            dry_run,
            folder,
            batch_size,
        } => {
            let limits = InputLimits::from_process_env()?;
            if !dir.is_dir() {
                anyhow::bail!("{} is not a directory", dir.display());
            }
            let options = ImportOptions {
                conflict,
                dry_run,
                batch_size,
                base_folder: FolderPath::parse(&folder, &limits)?,
                progress: true,
            };
            let summary = import_dir(&pool, &dir, &options, &limits).await?;
            for (path, reason) in &summary.failed {
                eprintln!("failed: {}: {reason}", path.display());
            }
            println!(
                "{}scanned {} files: {} created, {} renamed, {} overwritten, {} skipped, {} failed",
                if dry_run {
                    "dry run, nothing written: "
                } else {
                    ""
                },
                summary.scanned,
                summary.created,
                summary.renamed,
                summary.overwritten,
                summary.skipped,
                summary.failed.len()
            );
        }
        Command::Reindex { changed_only } => {
            let config = SemanticConfig::from_process_env()?;
            let summary = reindex::run(pool.clone(), &config, changed_only).await?;
            println!("{summary}");
        }
        Command::Token { command } => run_token_command(&pool, command).await?,
        Command::Export { dir } => {
            let written = mcp_markdown_manager::export::export_dir(&pool, &dir).await?;
            println!("exported {written} articles to {}", dir.display());
        }
        Command::Healthcheck | Command::Audit { .. } | Command::Sessions { .. } => {
            unreachable!("handled without a database")
        }
    }
    pool.close().await;
    Ok(())
}

async fn run_token_command(pool: &sqlx::PgPool, command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create {
            name,
            scope,
            expires_in_days,
        } => {
            let name = TokenName::parse(&name)?;
            let scope = Scope::parse(&scope).ok_or_else(|| {
                anyhow::anyhow!("scope {scope:?} is invalid; use read-only or write")
            })?;
            let expires_at = match expires_in_days {
                Some(days) if days < 1 => anyhow::bail!("--expires-in-days must be at least 1"),
                Some(days) => Some(Utc::now() + Duration::days(days)),
                None => None,
            };
            let generated = generate_token();
            let record = tokens::create(
                pool,
                &name,
                scope,
                &generated.hash,
                &generated.display_prefix,
                expires_at,
            )
            .await?;
            eprintln!(
                "created token {} ({}, {}); it is shown only once:",
                record.id,
                record.name,
                scope.as_str()
            );
            println!("{}", generated.secret);
        }
        TokenCommand::List => {
            for record in tokens::list(pool).await? {
                let status = record.status();
                println!(
                    "{}\t{}\t{}\t{}…\t{}\tlast used {}",
                    record.id,
                    record.name,
                    record.scope.as_str(),
                    record.prefix,
                    status,
                    record
                        .last_used_at
                        .map_or("never".to_owned(), |at| at.to_rfc3339()),
                );
            }
        }
        TokenCommand::Revoke { id } => {
            let record = tokens::revoke(pool, id).await?;
            println!("revoked token {} ({})", record.id, record.name);
            // A running server caches tokens briefly and holds the token's sessions; telling it
            // makes the revocation immediate there too.
            let notified = admin_token().ok().and_then(|admin| {
                mcp_markdown_manager::local_api::call(
                    "DELETE",
                    &format!("/api/access-tokens/{id}"),
                    Some(&admin),
                )
                .ok()
            });
            match notified {
                Some(reply) if reply.status == 200 => {
                    println!("the running server dropped the token and its sessions")
                }
                _ => eprintln!(
                    "note: no running server on 127.0.0.1 was told; one that is running stops accepting the token within 30 s"
                ),
            }
        }
    }
    Ok(())
}
