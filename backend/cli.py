"""The ``lsal`` command: start (all in one), serve (web), worker (RQ), simulate."""
import argparse
import logging
import os
import signal
import subprocess
import sys

from werkzeug.serving import run_simple

from backend.app import create_app
from backend.connection import EmbeddedRedisMissing, start_embedded
from backend.media import local_or_fetched
from backend.queues import KINDS
from backend.settings import Settings, SettingsError
from backend.worker import run_worker
from model.device import resolve_device
from model.logs import disable_progress_bars
from simulation import SimulationInputError, add_simulate_parser, run_simulation
from simulation.cli import DATASET_CACHE

logger = logging.getLogger(__name__)

WEB_TIMEOUT = 120
"""Seconds gunicorn lets a request run (Label Studio waits 100 s for /predict), and lets requests in flight
finish after SIGTERM."""


def main(argv=None):
    parser = argparse.ArgumentParser(prog='lsal', description='Active-learning ML backend for Label Studio.')
    commands = parser.add_subparsers(dest='command', required=True)
    for name, text in (('start', 'web server and worker in one command; embedded Redis unless REDIS_URL is set'),
                       ('serve', 'web server only, gunicorn (REDIS_URL required)')):
        command = commands.add_parser(name, help=text, description=text)
        command.add_argument('--host', help='default: HOST')
        command.add_argument('--port', type=int, help='default: PORT')
    worker = commands.add_parser('worker', help='RQ worker that trains and re-scores (REDIS_URL required)')
    worker.add_argument('--queues', type=_kinds, default=KINDS,
                        help=f'comma-separated kinds of work to take, from {",".join(KINDS)} (default: all; '
                             'e.g. train on a GPU machine)')
    add_simulate_parser(commands)
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        _check_device(settings.device)
        if args.command in ('start', 'serve'):
            args.host, args.port = args.host or settings.host, args.port or settings.port
        _setup_logging(settings.log_level)
        commands = {'start': _start, 'serve': _serve, 'worker': _worker, 'simulate': _simulate}
        return commands[args.command](settings, args)
    except (SettingsError, SimulationInputError, EmbeddedRedisMissing) as error:
        parser.exit(2, f'lsal: {error}\n')


def _start(settings, args):
    embedded = None
    env = dict(os.environ)
    if not settings.redis_url:
        embedded, env['REDIS_URL'] = start_embedded(settings.model_dir)
    worker = subprocess.Popen([sys.executable, '-m', 'backend.cli', 'worker'], env=env)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        app = create_app({'REDIS_URL': env['REDIS_URL']}, redis=embedded)
        return _run_web(app, args)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        if embedded is not None:
            embedded.shutdown()


def _serve(settings, args):
    """gunicorn with ``WEB_WORKERS`` processes of ``WEB_THREADS`` threads; SIGTERM finishes requests in flight."""
    from gunicorn.app.base import BaseApplication  # optional: the "server" extra

    class Server(BaseApplication):
        def load_config(self):
            for name, value in {'bind': f'{args.host}:{args.port}', 'workers': settings.web_workers,
                                'threads': settings.web_threads, 'timeout': WEB_TIMEOUT,
                                'graceful_timeout': WEB_TIMEOUT, 'accesslog': '-'}.items():
                self.cfg.set(name, value)

        def load(self):
            return create_app()

    logger.info('Web: gunicorn on http://%s:%d, %d workers x %d threads', args.host, args.port,
                settings.web_workers, settings.web_threads)
    Server().run()
    return 0


def _run_web(app, args):
    logger.info('Web: listening on http://%s:%d (Werkzeug, one process: for a single machine; '
                '`lsal serve` runs gunicorn)', args.host, args.port)
    run_simple(args.host, args.port, app, threaded=True)
    return 0


def _worker(settings, args):
    if not settings.redis_url:
        raise SettingsError('REDIS_URL: not set; the worker needs the Redis the web server uses')
    run_worker(settings, args.queues)
    return 0


def _simulate(settings, args):
    return run_simulation(settings, args, fetch=local_or_fetched(settings, DATASET_CACHE / 'media'))


def _check_device(name):
    """Refuse a ``DEVICE`` this machine does not have, with the fix, before any process starts."""
    try:
        resolve_device(name)
    except ValueError as error:
        raise SettingsError(f'DEVICE: {error}; set DEVICE=auto or cpu, or give this machine (or container) '
                            'its GPU: docs/deployment.md') from None


def _kinds(value):
    kinds = tuple(kind.strip() for kind in value.split(',') if kind.strip())
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown or not kinds:
        raise argparse.ArgumentTypeError(f'unknown {unknown or value!r}; choose from {", ".join(KINDS)}')
    return kinds


def _setup_logging(level):
    logging.basicConfig(level=level, format='%(asctime)s %(levelname)s %(name)s: %(message)s')
    disable_progress_bars()


if __name__ == '__main__':
    sys.exit(main())
