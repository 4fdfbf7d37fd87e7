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
                let status = if record.revoked_at.is_some() {
                    "revoked"
                } else if record.is_active(Utc::now()) {
                    "active"
                } else {
                    "expired"
                };
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
        }
    }
    Ok(())
}
