// The one door to X.509 and PKCS#10 work (@peculiar/x509): it needs the reflect-metadata polyfill loaded first and
// Node's WebCrypto as its provider; import x509 from here, never from the package directly.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
