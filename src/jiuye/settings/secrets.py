"""Local secrets for development and the demo, generated once into var/secrets.env."""

import base64
import os
import secrets
import sys
from pathlib import Path


def ensure_local_secrets(var_dir: Path) -> dict[str, str]:
    path = Path(var_dir) / "secrets.env"
    values: dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if "=" in line and not line.startswith("#"):
                key, _, value = line.partition("=")
                values[key.strip()] = value.strip()
    wanted = {
        "JIUYE_SECRET_KEY": lambda: secrets.token_urlsafe(50),
        "JIUYE_FIELD_KEYS": lambda: base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "JIUYE_HASH_KEY": lambda: secrets.token_hex(32),
    }
    missing = [key for key in wanted if key not in values]
    if missing:
        for key in missing:
            values[key] = wanted[key]()
        path.parent.mkdir(parents=True, exist_ok=True)
        body = "\n".join(f"{key}={values[key]}" for key in wanted)
        path.write_text(
            "# Generated for local use only. Production takes these from the environment.\n"
            + body
            + "\n",
            encoding="utf-8",
        )
        os.chmod(path, 0o600)
        print(
            f"WARNING: generated local encryption and signing keys in {path}. "
            "Do not use them in production. / 警告：已生成仅供本地使用的密钥。",
            file=sys.stderr,
        )
    return values
