#!/usr/bin/env python3
"""The peer-link attacker of the forged-acks scenario (ha-harness/run.sh).

  sniff <device> <peer ip> <port> <out file>   in a's namespace: keep every datagram from the peer to <port>
  attack <capture> <as ip> <target ip> <port> <seconds>
                                               in another namespace: send, as the peer's address, every captured
                                               datagram again (replays), each with its sentAt moved an hour ahead
                                               (forged: the tag no longer matches), and tag-less acks, every 20 ms
"""
import binascii, json, re, socket, struct, sys, time

TAG = 32  # HMAC-SHA256 after the JSON (ha/PeerCodec)


def sniff(device, peer, port, out):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(0x0800))
    s.bind((device, 0))
    with open(out, "w", buffering=1) as f:
        while True:
            frame = s.recv(65535)
            ip = frame[14:]
            if len(ip) < 28 or ip[9] != 17 or socket.inet_ntoa(ip[12:16]) != peer:
                continue
            ihl = (ip[0] & 0x0F) * 4
            dport = struct.unpack("!H", ip[ihl + 2:ihl + 4])[0]
            if dport == port:
                f.write(binascii.hexlify(ip[ihl + 8:]).decode() + "\n")


def forged(datagram):
    body = datagram[:-TAG]
    p = json.loads(body)
    p["sentAt"] = p.get("sentAt", 0) + 3_600_000
    p["type"] = "ack"
    moved = json.dumps(p, separators=(",", ":")).encode()
    return [moved + datagram[-TAG:], moved, moved + b"\0" * TAG]


def attack(capture, as_ip, target, port, seconds):
    captured = [binascii.unhexlify(l.strip()) for l in open(capture) if re.fullmatch(r"[0-9a-f]+", l.strip())]
    if not captured:
        print("nothing captured: no attack possible, a broken scenario", file=sys.stderr)
        sys.exit(1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_IP, 19, 1)  # IP_TRANSPARENT (root): send from the peer's address, which is not ours
    s.bind((as_ip, port))
    replays = forgeries = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for d in captured:
            s.sendto(d, (target, port))
            replays += 1
        for d in captured[-3:]:
            for f in forged(d):
                s.sendto(f, (target, port))
                forgeries += 1
        time.sleep(0.02)
    print(f"{len(captured)} captured, {replays} replayed, {forgeries} forged")


if __name__ == "__main__":
    if sys.argv[1] == "sniff":
        sniff(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    else:
        attack(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), float(sys.argv[6]))
