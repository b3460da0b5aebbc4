"""Users and the secret key."""

from __future__ import annotations

import argparse
import getpass
import os

from cryptography.fernet import Fernet

from cli.opening import cli_access, open_app
from domain.roles import Role
from services.users import create_user, list_users
from storage.db import session_scope


def _cmd_users(args: argparse.Namespace) -> int:
    settings, engine = open_app()
    access = cli_access(engine, settings)
    with session_scope(engine) as session:
        if args.action == "add":
            password = os.environ.get(args.password_env) if args.password_env else getpass.getpass("Password: ")
            user = create_user(session, args.name, role=Role(args.role), password=password, actor=access)
            print(f"user {user.username} added as {user.role}")
        else:
            for user in list_users(session):
                print(f"{user.username}\t{user.role}\t{'disabled' if user.disabled else 'enabled'}")
    return 0


def _cmd_secret_key(_args: argparse.Namespace) -> int:
    print(Fernet.generate_key().decode())
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add the users, secret-key command(s)."""
    users = commands.add_parser("users", help="list users or add one (the first must be an admin)")
    users.add_argument("action", choices=["list", "add"])
    users.add_argument("name", nargs="?", help="user name (add)")
    users.add_argument("--role", choices=["admin", "finance", "reviewer", "viewer"], default="viewer")
    users.add_argument("--password-env", help="read the new password from this environment variable, not a prompt")
    users.set_defaults(run=_cmd_users)
    secret = commands.add_parser("secret-key", help="print a new key for REVENUE_CONNECTOR_SECRET_KEY")
    secret.set_defaults(run=_cmd_secret_key)
