"""What every Python producer and consumer of SpasmWatch needs: where the endpoints are, how
a frame is laid out on the wire, and how a device key from `spasmwatch keys show` is used.

Used by producer.py and alert_consumer.py beside it, and by examples/ble/osd_watch_bridge.py.
Needs pyzmq only for `curve_client` (it sets options on a socket you made).
"""
import json
import os
import stat
import struct


def data_home(home=None):
    """--home, else $SPASMWATCH_HOME, else ./.spasmwatch (as the examples have always done)."""
    return os.path.abspath(home or os.environ.get("SPASMWATCH_HOME") or os.path.join(os.getcwd(), ".spasmwatch"))


def run_directory(home=None):
    """<home>/run, or the folder the services recorded in <home>/run.path (a private folder
    under /tmp when socket paths would pass 107 bytes, /run/spasmwatch under systemd)."""
    home = data_home(home)
    try:
        with open(os.path.join(home, "run.path")) as f:
            recorded = f.read().strip()
        if recorded.startswith("/"):
            return recorded
    except OSError:
        pass
    return os.path.join(home, "run")


def producer_endpoint(home=None):
    """Sensor ingestion's producer endpoint on this machine (ipc)."""
    return "ipc://" + os.path.join(run_directory(home), "sensor-producers.sock")


def bus_subscribe_endpoint(home=None):
    """The bus's subscribe endpoint on this machine (ipc)."""
    return "ipc://" + os.path.join(run_directory(home), "bus-out.sock")


def encode_frame(header, samples):
    """A producer frame: [JSON header][little-endian float32 samples, channels interleaved]."""
    return [json.dumps(header, separators=(",", ":")).encode(), struct.pack("<%df" % len(samples), *samples)]


class KeyFileError(Exception):
    pass


def read_key_file(path):
    """Reads the text `spasmwatch keys show NAME` prints (saved to a file) into a dict:
    name, role, server, public, secret, endpoints (list of tcp:// addresses), sensors (list).
    The file holds a secret key: it must be readable by its owner only (chmod 600)."""
    try:
        mode = os.stat(path).st_mode
        with open(path) as f:
            text = f.read()
    except OSError as error:
        raise KeyFileError(f"cannot read key file {path}: {error.strerror}")
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"key file {path} holds a secret key but others may read it; run: chmod 600 {path}")
    key = {"endpoints": [], "sensors": []}
    for line in text.splitlines():
        label, sep, value = line.partition(":")
        if not sep:
            continue
        label, value = label.strip(), value.strip()
        if label == "key":
            name, _, role = value.partition(" ")
            key["name"], key["role"] = name, role.strip("()")
        elif label == "server public key":
            key["server"] = value
        elif label == "public key":
            key["public"] = value
        elif label == "secret key":
            key["secret"] = value
        elif label == "connect to":
            key["endpoints"] += [word for word in value.split() if word.startswith("tcp://")]
        elif label == "may send sensors":
            key["sensors"] = [s.strip() for s in value.split("(")[0].split(",") if s.strip()]
    for field, what in (("server", "server public key"), ("public", "public key"), ("secret", "secret key")):
        if len(key.get(field, "")) != 40:
            raise KeyFileError(f"key file {path} has no {what} (40 Z85 characters); "
                               "save the output of `spasmwatch keys show NAME` into it")
    return key


def curve_client(sock, key):
    """Makes `sock` a CURVE client with this key (before connecting it)."""
    import zmq
    sock.setsockopt(zmq.CURVE_SERVERKEY, key["server"].encode())
    sock.setsockopt(zmq.CURVE_PUBLICKEY, key["public"].encode())
    sock.setsockopt(zmq.CURVE_SECRETKEY, key["secret"].encode())
