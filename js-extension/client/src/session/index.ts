/**
 * The session layer: transport, hello and capabilities, pings, disconnects, reconnects and
 * packet dispatch between the protocol layer and the app.
 */
export { Caps, parseVersion, valueText } from "./caps.js";
export { DRAW_DECODED_SKIPPED, DRAW_FAILED, damageSequencePacket } from "./acks.js";
export { AUDIO_CODEC, audioCapabilities, buildHello, sessionCapabilities } from "./hello.js";
export type { CapabilityProvider, HelloOptions } from "./hello.js";
export { pingEchoPacket, pingPacket } from "./ping.js";
export { isFinalReason } from "./reasons.js";
export { Session } from "./session.js";
export type { PacketHandler, ReconnectOptions, SessionOptions, SessionState, SessionStats } from "./session.js";
export { webSocketTransport } from "./transport.js";
export type { Transport, TransportEvents, TransportFactory } from "./transport.js";
