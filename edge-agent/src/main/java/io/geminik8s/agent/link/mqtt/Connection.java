package io.geminik8s.agent.link.mqtt;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * One MQTT connection: opened (TCP, TLS, CONNECT, CONNACK) on the caller's thread, then read by one thread and
 * written by another, so that no caller ever blocks on the network. Closed once, for one cause.
 */
public final class Connection {

    /** What the owner of a connection hears. Called on the connection's threads. */
    public interface Handler {
        void onPacket(Connection c, PacketReader.Incoming packet);

        void onClosed(Connection c, Throwable cause);
    }

    private static final byte[] CLOSE = new byte[0];

    private final Socket raw;
    private final Socket socket;
    private final PacketReader reader;
    private final PacketReader.ConnAck connAck;
    private final BlockingQueue<byte[]> outgoing = new LinkedBlockingQueue<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile long lastRead = System.nanoTime();
    private volatile long lastWrite = System.nanoTime();
    private Handler handler;

    private Connection(Socket raw, Socket socket, PacketReader reader, PacketReader.ConnAck connAck) {
        this.raw = raw;
        this.socket = socket;
        this.reader = reader;
        this.connAck = connAck;
    }

    /**
     * Connects to {@code host:port} (over TLS when {@code tls} is not null, verifying the broker's name), sends
     * {@code connect} and waits for the CONNACK, each step within {@code timeoutMs}.
     */
    public static Connection open(String host, int port, SSLContext tls, int timeoutMs, byte[] connect,
                                  int maximumPacketSize) throws IOException {
        Socket raw = new Socket();
        try {
            raw.connect(new InetSocketAddress(host, port), timeoutMs);
            raw.setTcpNoDelay(true);
            raw.setSoTimeout(timeoutMs);
            Socket socket = raw;
            if (tls != null) {
                SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(raw, host, port, true);
                s.setEnabledProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
                SSLParameters p = s.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");
                s.setSSLParameters(p);
                s.startHandshake();
                socket = s;
            }
            OutputStream out = socket.getOutputStream();
            out.write(connect);
            out.flush();
            PacketReader reader = new PacketReader(new BufferedInputStream(socket.getInputStream(), 4096),
                    maximumPacketSize);
            if (!(reader.next() instanceof PacketReader.ConnAck ack)) {
                throw new PacketReader.ProtocolError("the broker's first packet was not a CONNACK");
            }
            raw.setSoTimeout(0); // from here on, liveness is the keepalive's business
            return new Connection(raw, socket, reader, ack);
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    public PacketReader.ConnAck connAck() {
        return connAck;
    }

    /** Starts reading and writing; {@code handler} hears every packet and, once, the end. */
    public void start(Handler handler) {
        this.handler = handler;
        daemon(this::readLoop, "gk8s-mqtt-in").start();
        daemon(this::writeLoop, "gk8s-mqtt-out").start();
    }

    /** Queues a packet; false when the connection is closed (the packet is not sent). */
    public boolean send(byte[] packet) {
        return !closed.get() && outgoing.offer(packet);
    }

    /** Closes the connection once what is queued now (a DISCONNECT, say) is written; waits up to {@code waitMs}. */
    public void closeAfterWrites(long waitMs) {
        outgoing.offer(CLOSE);
        try {
            done.await(waitMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        close(new IOException("closed by the agent"));
    }

    /** Closes the connection at once (no DISCONNECT: the broker publishes the Last Will). */
    public void close(Throwable cause) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            raw.close(); // the TCP socket under TLS: no close_notify that could wait on a stuck writer
        } catch (IOException ignored) {
            // closing anyway
        }
        outgoing.offer(CLOSE);
        done.countDown();
        if (handler != null) {
            handler.onClosed(this, cause);
        }
    }

    public boolean closed() {
        return closed.get();
    }

    /** {@link System#nanoTime()} of the last packet read. */
    public long lastRead() {
        return lastRead;
    }

    /** {@link System#nanoTime()} of the last packet written. */
    public long lastWrite() {
        return lastWrite;
    }

    private void readLoop() {
        try {
            while (!closed.get()) {
                PacketReader.Incoming p = reader.next();
                lastRead = System.nanoTime();
                handler.onPacket(this, p);
            }
        } catch (IOException | RuntimeException e) {
            close(e);
        }
    }

    private void writeLoop() {
        try {
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 8192);
            while (true) {
                byte[] packet = outgoing.take();
                if (packet == CLOSE) {
                    out.flush();
                    done.countDown();
                    return;
                }
                out.write(packet);
                if (outgoing.isEmpty()) {
                    out.flush();
                    lastWrite = System.nanoTime();
                }
            }
        } catch (IOException e) {
            close(e);
        } catch (InterruptedException e) {
            close(new IOException("writer interrupted"));
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
