/**
 * The protocol tests of tftp-protocol.test.ts once more with every transfer on the JavaScript path
 * (FIELDBOOT_TFTP_NATIVE=0): where the native lock-step addon is built, tftp-protocol.test.ts drives it for
 * lock-step transfers of files on disk, and the JavaScript transfer (macOS, Windows, no addon, generated
 * files) must keep the same behaviour.
 */
process.env.FIELDBOOT_TFTP_NATIVE = '0';
await import('./tftp-protocol.test');

export {};
