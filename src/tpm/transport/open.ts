/**
 * Opening a TPM transport from the usual settings: a TCTI string (`swtpm:host=H,port=P`, `swtpm:path=SOCKET[,ctrl=
 * CTRL_SOCKET]` for a simulator on UNIX sockets, bare `host=H,port=P` or `path=SOCKET`, or `device:PATH`), a device
 * path, or the ATTESTD_TCTI environment variable; /dev/tpmrm0 by default. Shared by
 * `attestd tpm` and the attestation collector.
 */
import { ConfigError } from '../../common/errors.ts';
import { DEFAULT_TPM_DEVICE, DeviceTransport } from './device.ts';
import { SwtpmTransport } from './swtpm.ts';
import type { SwtpmLinkOptions } from './swtpm.ts';
import type { Transport } from './transport.ts';

/**
 * The transport for `tcti` / `device` (or ATTESTD_TCTI): swtpm:host=H,port=P, swtpm:path=S[,ctrl=C] (or either
 * without the `swtpm:` prefix), device:PATH.
 * `swtpm`: further options of a simulator transport (e.g. keepAlive false to share it with other clients).
 */
export function openTransport(
  o: { tcti?: string | undefined; device?: string | undefined },
  swtpm: SwtpmLinkOptions = {},
): Transport {
  if (o.tcti && o.device) throw new ConfigError('give --tcti or --device, not both');
  const tcti = o.tcti ?? process.env.ATTESTD_TCTI;
  if (tcti && !o.device) {
    const [kind, conf = ''] = tcti.includes(':')
      ? [tcti.slice(0, tcti.indexOf(':')), tcti.slice(tcti.indexOf(':') + 1)]
      : ['swtpm', tcti];
    if (kind === 'swtpm') return SwtpmTransport.fromTcti(conf, swtpm); // checks the port or path
    if (kind === 'device') return new DeviceTransport(conf || DEFAULT_TPM_DEVICE);
    throw new ConfigError(`unsupported TCTI "${kind}" (swtpm:host=H,port=P, swtpm:path=SOCKET or device:PATH)`);
  }
  return new DeviceTransport(o.device ?? DEFAULT_TPM_DEVICE);
}
