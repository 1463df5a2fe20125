#!/usr/bin/env python3
"""strongSwan's own settings parser as a test oracle.

Loads each file named on the command line with libstrongswan's settings_t (load_files, no merge) and prints one
JSON line per file: {"ok": bool, "tree": {"values": [[k, v]...], "sections": [[name, tree]...]}} as strongSwan's
section and key/value enumerators present it (references resolved, cleared keys hidden), or "deep": true when
references make the tree deeper than MAX_DEPTH (strongSwan resolves lazily and never builds the whole tree).

Uses the settings_t method table of strongSwan 5.9/6.0 (src/libstrongswan/settings/settings.h): slot 11
create_section_enumerator, 12 create_key_value_enumerator, 14 load_files; enumerator_t slots 0 enumerate,
2 destroy. Set STRONGSWAN_CONF to an empty file so library_init reads nothing of the host's configuration.
"""
import ctypes
import json
import sys

lib = ctypes.CDLL('/usr/lib/ipsec/libstrongswan.so.0')
MAX_DEPTH = 80
lib.library_init.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
lib.library_init.restype = ctypes.c_bool
lib.library_init(None, b'attestd-oracle')
lib.settings_create.argtypes = [ctypes.c_char_p]
lib.settings_create.restype = ctypes.c_void_p

ENUM = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p)
LOAD = ctypes.CFUNCTYPE(ctypes.c_bool, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_bool)
NEXT1 = ctypes.CFUNCTYPE(ctypes.c_bool, ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p))
NEXT2 = ctypes.CFUNCTYPE(ctypes.c_bool, ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_char_p))
DESTROY = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


def text(b):
    return b.decode('utf-8', 'surrogateescape').encode('utf-16', 'surrogatepass').decode('utf-16')


def dump(s, path, depth=0):
    if depth > MAX_DEPTH:
        raise RecursionError
    table = ctypes.cast(s, ctypes.POINTER(ctypes.c_void_p))
    fmt = path.replace(b'%', b'%%')
    k, v = ctypes.c_char_p(), ctypes.c_char_p()
    e = ENUM(table[12])(s, fmt)
    et = ctypes.cast(e, ctypes.POINTER(ctypes.c_void_p))
    values = []
    while NEXT2(et[0])(e, ctypes.byref(k), ctypes.byref(v)):
        values.append([text(k.value), text(v.value)])
    DESTROY(et[2])(e)
    e = ENUM(table[11])(s, fmt)
    et = ctypes.cast(e, ctypes.POINTER(ctypes.c_void_p))
    names = []
    while NEXT1(et[0])(e, ctypes.byref(k)):
        names.append(k.value)
    DESTROY(et[2])(e)
    return {'values': values, 'sections': [[text(n), dump(s, path + b'.' + n if path else n, depth + 1)] for n in names]}


for f in sys.argv[1:]:
    s = lib.settings_create(None)
    ok = LOAD(ctypes.cast(s, ctypes.POINTER(ctypes.c_void_p))[14])(s, f.encode(), False)
    try:
        print(json.dumps({'ok': bool(ok), 'tree': dump(s, b'') if ok else None}), flush=True)
    except RecursionError:
        print(json.dumps({'ok': bool(ok), 'tree': None, 'deep': True}), flush=True)
