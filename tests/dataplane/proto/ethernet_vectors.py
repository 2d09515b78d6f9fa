"""Ethernet, VLAN and ARP test vectors built with scapy; writes a C++ header (argv[1])."""

import ipaddress
import logging
import sys

logging.getLogger("scapy").setLevel(logging.ERROR)

from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import ARP, LLC, Dot1AD, Dot1Q, Dot3, Ether
from scapy.packet import Raw

from vectors_common import VectorHeader

TAG_LAYERS = (Dot1Q, Dot1AD)


def mac(text):
    return bytes(int(part, 16) for part in text.split(":"))


def ipv4(text):
    return int(ipaddress.IPv4Address(text))


def frame_case(out, name, comment, frame, padding=b""):
    wire = bytes(frame) + padding
    ether = Ether(wire)  # scapy's own reading of the tags
    tags = []
    layer, ether_type = ether.payload, ether.type
    while isinstance(layer, TAG_LAYERS):
        tags.append(dict(tpid=ether_type, pcp=layer.prio, dei=bool(layer.id), vid=layer.vlan))
        layer, ether_type = layer.payload, layer.type
    header_length = 14 + 4 * len(tags)
    values = dict(
        packet=wire,
        dst=mac(ether.dst),
        src=mac(ether.src),
        ether_type=ether_type,
        tag_count=len(tags),
        header_length=header_length,
        payload=wire[header_length:],
    )
    for i in range(2):
        tag = tags[i] if i < len(tags) else dict(tpid=0x8100, pcp=0, dei=False, vid=0)
        values.update({f"tag{i}_{key}": value for key, value in tag.items()})
    out.case(name, comment, **values)


def arp_case(out, name, comment, arp):
    wire = bytes(arp)
    parsed = ARP(wire)
    out.case(
        name,
        comment,
        packet=wire,
        operation=parsed.op,
        sender_mac=mac(parsed.hwsrc),
        sender_ip=ipv4(parsed.psrc),
        target_mac=mac(parsed.hwdst),
        target_ip=ipv4(parsed.pdst),
    )


def invalid_case(out, name, comment, wire, status):
    out.case(name, comment, packet=bytes(wire), status=status)


def main():
    out = VectorHeader("ethernet_vectors.py")
    peer, own = "02:11:22:33:44:55", "02:aa:bb:cc:dd:ee"
    frame_case(out, "untagged", "IPv4, no tag", Ether(dst=own, src=peer) / IP() / UDP())
    frame_case(
        out,
        "dot1q",
        "802.1Q tag: VLAN 100, PCP 5, DEI set",
        Ether(dst=own, src=peer) / Dot1Q(vlan=100, prio=5, id=1) / IPv6(),
    )
    frame_case(
        out,
        "qinq",
        "802.1ad S-tag VLAN 10 PCP 3, then 802.1Q C-tag VLAN 4094 DEI",
        Ether(dst=own, src=peer) / Dot1AD(vlan=10, prio=3) / Dot1Q(vlan=4094, id=1) / IP(),
    )
    frame_case(
        out,
        "double_dot1q",
        "two 802.1Q tags (pre-802.1ad QinQ) carrying ARP",
        Ether(dst="ff:ff:ff:ff:ff:ff", src=peer) / Dot1Q(vlan=1, prio=7) / Dot1Q(vlan=4095) / ARP(),
    )
    frame_case(
        out,
        "padded",
        "short frame padded to 60 bytes: the padding stays in the payload",
        Ether(dst=own, src=peer) / IP(src="192.0.2.1", dst="192.0.2.2") / UDP(),
        padding=bytes(18),
    )
    frame_case(out, "header_only", "ethertype and nothing after it", Ether(dst=own, src=peer, type=0x88B5))

    invalid_case(
        out, "multicast_source", "group bit in the source", Ether(src="01:00:5e:00:00:01") / IP(),
        "multicast_source",
    )
    invalid_case(
        out,
        "three_tags",
        "S-tag, C-tag, C-tag",
        Ether(src=peer) / Dot1AD(vlan=1) / Dot1Q(vlan=2) / Dot1Q(vlan=3) / IP(),
        "too_many_tags",
    )
    invalid_case(
        out,
        "s_tag_inside",
        "802.1ad tag inside an 802.1Q tag",
        Ether(src=peer) / Dot1Q(vlan=2) / Dot1AD(vlan=1) / IP(),
        "bad_tag_order",
    )
    invalid_case(
        out, "llc", "802.3 length field with LLC", Dot3(src=peer, dst=own) / LLC() / Raw(b"abc"), "llc_frame"
    )
    invalid_case(
        out,
        "llc_in_tag",
        "802.1Q tag around an 802.3 length",
        Ether(src=peer, dst=own) / Dot1Q(vlan=5, type=46) / Raw(bytes(46)),
        "llc_frame",
    )

    request = ARP(op=1, hwsrc=peer, psrc="192.0.2.10", hwdst="00:00:00:00:00:00", pdst="192.0.2.1")
    arp_case(out, "arp_request", "who has 192.0.2.1 tell 192.0.2.10", request)
    reply = ARP(op=2, hwsrc=own, psrc=request.pdst, hwdst=request.hwsrc, pdst=request.psrc)
    arp_case(out, "arp_reply", "192.0.2.1 is at our MAC, to the requester", reply)
    out.case(
        "arp_reply_frame",
        "the whole reply frame, as scapy builds it",
        packet=bytes(Ether(dst=peer, src=own) / reply),
        own_mac=mac(own),
    )
    invalid_case(
        out, "arp_bad_hardware", "hardware type 6 (IEEE 802)", ARP(hwtype=6) / Raw(bytes(12)),
        "bad_hardware_type",
    )
    invalid_case(
        out, "arp_bad_protocol", "protocol type IPv6", ARP(ptype=0x86DD) / Raw(bytes(12)),
        "bad_protocol_type",
    )
    invalid_case(out, "arp_bad_hardware_length", "hardware length 8", ARP(hwlen=8), "bad_address_length")
    invalid_case(out, "arp_bad_protocol_length", "protocol length 16", ARP(plen=16) / Raw(bytes(12)),
                 "bad_address_length")
    invalid_case(out, "arp_bad_operation", "operation 3 (RARP request)", ARP(op=3), "bad_operation")
    out.write(sys.argv[1])


if __name__ == "__main__":
    main()
