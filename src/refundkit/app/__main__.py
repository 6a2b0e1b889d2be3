"""`python -m refundkit.app`: serve the trainee app and the trainer page (what `make app` runs).

Prints two links: the trainees' (the entrance) and the trainer's (with its token,
as Jupyter prints its token link). Other options go to Voila as they are
(e.g. `--no-browser`).
"""
from __future__ import annotations

import argparse
import sys

from ..sop import LANGS, default_sop
from .serve import TOKEN_ENV, Room, lan_address, make_token, serve, start_url, trainer_url


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m refundkit.app", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8866)
    parser.add_argument("--room", type=int, default=Room.room, metavar="N",
                        help="trainees expected at once: kernels kept ready (default %(default)s)")
    parser.add_argument("--max-kernels", type=int, default=None, metavar="N",
                        help="trainee pages served at once; beyond it a 'room full' page (default 2 x --room)")
    parser.add_argument("--lan", action="store_true",
                        help="listen on every network interface, so the room's computers reach it "
                             "(default: this computer only)")
    parser.add_argument("--trainer-token", default=None, metavar="TOKEN",
                        help=f"the trainer page's token (default ${TOKEN_ENV}, else random for each start)")
    args, extra = parser.parse_known_args(argv)
    if args.room < 0 or (args.max_kernels is not None and args.max_kernels < 1):
        print("--room: expected 0 or more; --max-kernels: expected 1 or more", file=sys.stderr)
        raise SystemExit(2)
    room = Room(room=args.room, max_kernels=args.max_kernels or max(2 * args.room, 4),
                token=make_token(args.trainer_token), lan=args.lan)
    sop = default_sop()
    host = lan_address() if args.lan else "localhost"
    title = " / ".join(sop.t("app_title", lang) for lang in LANGS)
    trainees = " / ".join(sop.t("app_link_trainees", lang) for lang in LANGS)
    trainer = " / ".join(sop.t("app_link_trainer", lang) for lang in LANGS)
    print(f"{title}   (Ctrl+C)\n  {trainees}: {start_url(args.port, host)}\n"
          f"  {trainer}: {trainer_url(args.port, room.token, host)}", flush=True)
    serve(args.port, room, extra)


if __name__ == "__main__":
    main(sys.argv[1:])
