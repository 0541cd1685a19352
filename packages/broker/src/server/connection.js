import { FrameDecoder, FrameTooLargeError } from '@samsa/protocol/framing';
/** Thrown by a dispatcher to close the connection (Kafka closes on unsupported versions and bad frames). */
export class CloseConnection extends Error {
    name = 'CloseConnection';
}
const PRODUCE_API_KEY = 0;
/** Reused request buffer: allocated at this size at least, never kept above the max (larger requests get their own). */
const MIN_REUSED_FRAME_BYTES = 64 * 1024;
const MAX_REUSED_FRAME_BYTES = 8 * 1024 * 1024;
let nextConnectionId = 0;
export class Connection {
    socket;
    listenerName;
    dispatcher;
    opts;
    log;
    onClose;
    id;
    remote;
    /** Set from the first request header; for logs and quotas. */
    clientId = null;
    clientSoftwareName = null;
    clientSoftwareVersion = null;
    decoder;
    slots = [];
    paused = false;
    closed = false;
    onDataBound = (chunk) => this.onData(chunk);
    onFrameBound = (frame) => this.onFrame(frame);
    constructor(socket, listenerName, dispatcher, opts, log, onClose) {
        this.socket = socket;
        this.listenerName = listenerName;
        this.dispatcher = dispatcher;
        this.opts = opts;
        this.log = log;
        this.onClose = onClose;
        this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
        this.id = `${socket.localAddress ?? ''}:${socket.localPort ?? ''}-${this.remote}-${nextConnectionId++}`;
        this.decoder = new FrameDecoder(opts.maxFrameBytes, this.allocateFrame);
        socket.setNoDelay(true);
        socket.on('data', this.onDataBound);
        socket.on('drain', () => this.maybeResume());
        socket.on('error', (err) => this.log.debug(`Connection ${this.id} error: ${err.message}`));
        socket.on('close', () => this.finish());
        if (opts.idleMs > 0) {
            socket.setTimeout(opts.idleMs, () => {
                if (this.slots.length > 0)
                    return; // a long poll or slow handler is not idleness
                this.log.debug(`Closing idle connection ${this.id} after ${opts.idleMs} ms`);
                this.close();
            });
        }
    }
    /** Requests received and not yet answered (including ones awaiting earlier responses). */
    get inFlight() {
        return this.slots.length;
    }
    get isClosed() {
        return this.closed;
    }
    get isPaused() {
        return this.paused;
    }
    close(reason) {
        if (this.closed)
            return;
        if (reason !== undefined)
            this.log.info(`Closing connection ${this.id}${this.clientId !== null ? ` (client ${this.clientId})` : ''}: ${reason}`);
        // Responses of earlier requests go out first, once what they acknowledge is written.
        const pending = this.pendingBatch === null ? [] : this.pendingBatch;
        const batch = [...pending, ...this.takeOutQueue()];
        this.finish();
        if (batch.length === 0) {
            this.socket.destroy();
            return;
        }
        const barrier = this.opts.durabilityBarrier();
        const send = (failure) => {
            if (failure === null) {
                this.writeChunks(batch);
                this.socket.end();
                this.socket.destroySoon();
            }
            else {
                this.socket.destroy();
            }
        };
        if (barrier instanceof Promise)
            barrier.then(send, (e) => send(e));
        else
            send(barrier);
    }
    /** Closes after the responses already queued are written (shutdown). */
    closeGracefully() {
        if (this.closed)
            return;
        this.socket.pause();
        this.endWhenIdle = true;
        this.maybeEnd();
    }
    endWhenIdle = false;
    backlog = [];
    finish() {
        if (this.closed)
            return;
        this.closed = true;
        this.slots.length = 0;
        this.backlog = [];
        this.outQueue = [];
        this.pendingBatch = null;
        this.outBytes = 0;
        this.onClose(this);
    }
    onData(chunk) {
        try {
            this.decoder.push(chunk, this.onFrameBound);
        }
        catch (e) {
            if (e instanceof FrameTooLargeError) {
                this.close(`${e.message} (socket.request.max.bytes)`);
                return;
            }
            throw e;
        }
    }
    // ---- responses out ------------------------------------------------------------------------
    // Completed responses (in request order) queue here and leave at the end of the event-loop
    // turn, in one writev: on loopback a small write costs as much as a 64 KiB one. Before they
    // leave they pass the storage's durability barrier: what they acknowledge is in the page cache
    // (the writes run on the thread pool; responses queued meanwhile wait for the next barrier).
    outQueue = [];
    /** The batch waiting for a barrier (sent by close() if the connection closes meanwhile). */
    pendingBatch = null;
    outBytes = 0;
    drainScheduled = false;
    barrierPending = false;
    drainBound = () => this.drain();
    queueResponse(chunks) {
        this.outQueue.push(chunks);
        for (const c of chunks)
            this.outBytes += c.length;
        if (!this.drainScheduled && !this.barrierPending) {
            this.drainScheduled = true;
            setImmediate(this.drainBound);
        }
    }
    takeOutQueue() {
        const batch = this.outQueue;
        this.outQueue = [];
        this.outBytes = 0;
        return batch;
    }
    drain() {
        this.drainScheduled = false;
        if (this.closed || this.barrierPending || this.outQueue.length === 0)
            return;
        const batch = this.takeOutQueue();
        const barrier = this.opts.durabilityBarrier();
        if (barrier === null) {
            this.writeBatch(batch);
            return;
        }
        if (barrier instanceof Error) {
            this.abortUnwritten(barrier);
            return;
        }
        this.barrierPending = true;
        this.pendingBatch = batch;
        barrier.then((failure) => {
            this.barrierPending = false;
            this.pendingBatch = null;
            if (this.closed)
                return;
            if (failure !== null) {
                this.abortUnwritten(failure);
                return;
            }
            this.writeBatch(batch);
            if (this.outQueue.length > 0)
                this.drain();
        }, (e) => this.abortUnwritten(e));
    }
    writeBatch(batch) {
        this.writeChunks(batch);
        if (!this.maybeEnd())
            this.checkPressure();
    }
    writeChunks(batch) {
        const socket = this.socket;
        const readBuffers = this.opts.readBuffers;
        socket.cork();
        for (const chunks of batch) {
            for (const c of chunks) {
                // A pooled log read goes back to its pool once the kernel has copied it (not on error).
                if (readBuffers.isLeased(c))
                    socket.write(c, (err) => err == null && readBuffers.release(c));
                else
                    socket.write(c);
            }
        }
        socket.uncork();
    }
    /** Ends the socket of a gracefully closing connection once nothing is left to answer. */
    maybeEnd() {
        if (!this.endWhenIdle || this.slots.length > 0 || this.outQueue.length > 0 || this.barrierPending)
            return false;
        this.socket.end();
        return true;
    }
    /**
     * A staged append could not be written: the queued responses may acknowledge it, so they are
     * dropped with the connection (the client retries; the failed segment answers
     * KAFKA_STORAGE_ERROR from then on) rather than sent as a false acknowledgement.
     */
    abortUnwritten(failure) {
        this.log.error(`Appends could not be written (${failure.message}); closing ${this.id} without sending its pending responses`);
        this.finish();
        this.socket.destroy();
    }
    onFrame(frame) {
        if (this.closed)
            return;
        // Frames that arrived in the same chunk as the one that tripped backpressure wait here
        // (bounded by one socket read) until the connection resumes.
        if (this.paused) {
            this.backlog.push(frame);
            return;
        }
        this.process(frame);
    }
    // ---- request memory -----------------------------------------------------------------------
    // A request larger than a socket read (a 1 MiB Produce) is assembled by copying its pieces
    // together. A fresh buffer per request drove V8's external-memory GCs, so the connection
    // reuses one: Produce frames may keep it until their dispatch settles (the logs copy the
    // batches into their own buffers); other requests may keep views of their frame (group
    // metadata, SASL bytes), so theirs are copied out of it.
    frameBuffer = null;
    frameBufferBusy = false;
    allocateFrame = (size) => {
        if (this.frameBufferBusy || size > MAX_REUSED_FRAME_BYTES)
            return Buffer.allocUnsafeSlow(size);
        if (this.frameBuffer === null || this.frameBuffer.length < size)
            this.frameBuffer = Buffer.allocUnsafeSlow(Math.max(size, MIN_REUSED_FRAME_BYTES));
        this.frameBufferBusy = true;
        return this.frameBuffer.subarray(0, size);
    };
    process(frame) {
        const slot = { done: false, chunks: null };
        this.slots.push(slot);
        let holdsFrameBuffer = this.frameBuffer !== null && frame.buffer === this.frameBuffer.buffer;
        if (holdsFrameBuffer && frame.length >= 2 && frame.readInt16BE(0) !== PRODUCE_API_KEY) {
            frame = Buffer.from(frame);
            this.frameBufferBusy = false;
            holdsFrameBuffer = false;
        }
        let result;
        try {
            result = this.dispatcher.dispatch(frame, this);
        }
        catch (e) {
            if (holdsFrameBuffer)
                this.frameBufferBusy = false;
            this.failed(e);
            return;
        }
        if (result instanceof Promise) {
            result.then((r) => {
                if (holdsFrameBuffer)
                    this.frameBufferBusy = false;
                this.complete(slot, r);
            }, (e) => {
                if (holdsFrameBuffer)
                    this.frameBufferBusy = false;
                this.failed(e);
            });
            this.checkPressure();
        }
        else {
            if (holdsFrameBuffer)
                this.frameBufferBusy = false;
            this.complete(slot, result);
        }
    }
    failed(e) {
        if (e instanceof CloseConnection)
            this.close(e.message);
        else {
            this.log.error(`Unexpected error processing a request on ${this.id}; closing the connection`, e);
            this.close();
        }
    }
    complete(slot, chunks) {
        if (this.closed)
            return;
        slot.done = true;
        slot.chunks = chunks;
        if (this.slots[0] !== slot) {
            this.checkPressure();
            return;
        }
        while (this.slots.length > 0 && this.slots[0].done) {
            const s = this.slots.shift();
            if (s.chunks !== null)
                this.queueResponse(s.chunks);
        }
        if (!this.maybeEnd())
            this.checkPressure();
    }
    checkPressure() {
        const over = this.slots.length >= this.opts.maxInFlight || this.socket.writableLength + this.outBytes > this.opts.writeHighWater;
        if (over && !this.paused) {
            this.paused = true;
            this.socket.pause();
        }
        else if (!over) {
            this.maybeResume();
        }
    }
    maybeResume() {
        if (!this.paused || this.closed || this.endWhenIdle)
            return;
        if (this.slots.length >= this.opts.maxInFlight || this.socket.writableLength + this.outBytes > this.opts.writeHighWater)
            return;
        this.paused = false;
        while (this.backlog.length > 0 && !this.paused && !this.closed)
            this.process(this.backlog.shift());
        if (!this.paused && !this.closed)
            this.socket.resume();
    }
}
//# sourceMappingURL=connection.js.map