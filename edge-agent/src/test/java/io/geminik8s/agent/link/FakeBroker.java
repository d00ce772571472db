package io.geminik8s.agent.link;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A TCP server that speaks raw MQTT bytes as a test script says: a broker that misbehaves on purpose. Reads the
 * agent's packets as (type, flags, body); every read and accept has a deadline.
 */
final class FakeBroker implements AutoCloseable {

    record Packet(int type, int flags, byte[] body) {
        int packetId() { // of a QoS 1 PUBLISH: after the topic
            int topicLength = (body[0] & 0xFF) << 8 | body[1] & 0xFF;
            return (body[2 + topicLength] & 0xFF) << 8 | body[3 + topicLength] & 0xFF;
        }
    }

    private final ServerSocket server;
    private final List<Socket> accepted = new ArrayList<>();

    FakeBroker() throws IOException {
        server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
    }

    int port() {
        return server.getLocalPort();
    }

    /** The agent's next connection, its CONNECT read. */
    Socket accept(int timeoutMs) throws IOException {
        server.setSoTimeout(timeoutMs);
        Socket s = server.accept();
        s.setSoTimeout(timeoutMs);
        accepted.add(s);
        Packet connect = read(s);
        if (connect.type() != 1) {
            throw new IOException("expected CONNECT, got type " + connect.type());
        }
        return s;
    }

    /** Did the agent connect again within {@code timeoutMs}? */
    boolean connectsWithin(int timeoutMs) throws IOException {
        try {
            accept(timeoutMs);
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    /** Reads what the agent had still sent up to the end of the stream: true when the agent closed it. */
    static boolean closedByAgent(Socket s) throws IOException {
        byte[] buffer = new byte[4096];
        while (true) {
            if (s.getInputStream().read(buffer) < 0) {
                return true;
            }
        }
    }

    /** A PUBLISH as "topic alias N" (N 0 when it carries no Topic Alias property). */
    static String describePublish(Packet p) {
        byte[] b = p.body();
        int topicLength = (b[0] & 0xFF) << 8 | b[1] & 0xFF;
        String topic = new String(b, 2, topicLength, java.nio.charset.StandardCharsets.UTF_8);
        int pos = 2 + topicLength + (((p.flags() >> 1) & 3) > 0 ? 2 : 0);
        int propsLength = b[pos];
        int alias = propsLength == 3 && b[pos + 1] == 0x23 ? (b[pos + 2] & 0xFF) << 8 | b[pos + 3] & 0xFF : 0;
        return topic + " alias " + alias;
    }

    static void send(Socket s, String hex) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(HexFormat.of().parseHex(hex.replace(" ", "")));
        out.flush();
    }

    static Packet read(Socket s) throws IOException {
        DataInputStream in = new DataInputStream(s.getInputStream());
        int first = in.readUnsignedByte();
        int length = 0;
        for (int shift = 0; ; shift += 7) {
            int b = in.readUnsignedByte();
            length |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                break;
            }
        }
        byte[] body = new byte[length];
        in.readFully(body);
        return new Packet(first >>> 4, first & 0x0F, body);
    }

    /** The next packet of {@code type}, skipping others (SUBSCRIBE, say). */
    static Packet next(Socket s, int type) throws IOException {
        while (true) {
            Packet p = read(s);
            if (p.type() == type) {
                return p;
            }
        }
    }

    @Override
    public void close() throws IOException {
        for (Socket s : accepted) {
            s.close();
        }
        server.close();
    }
}
