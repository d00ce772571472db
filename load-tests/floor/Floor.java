import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * The least a JVM agent can be: an MQTT 5 CONNECT, then a ~100-byte record published every 30 s, over plain TCP or
 * mTLS (args[0]: tls|plain), encoded by Jackson or by toString (args[1]: json|nojson); args[2]: the client id.
 * Not the agent: a floor to compare its RSS with (floor.sh).
 */
public class Floor {

    public record Health(String site, String node, long at, Map<String, String> versions, List<String> notes,
                         double load) {
    }

    public static void main(String[] args) throws Exception {
        boolean tls = args[0].equals("tls");
        boolean json = args[1].equals("json");
        String dir = System.getProperty("floor.dir");
        ObjectMapper mapper = json ? new ObjectMapper() : null;
        Socket socket;
        if (tls) {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(new FileInputStream(dir + "/cli.p12"), "x".toCharArray());
            KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
            kmf.init(keys, "x".toCharArray());
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(new FileInputStream(dir + "/trust.p12"), "xxxxxx".toCharArray());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket("localhost",
                    Integer.getInteger("floor.tls"));
            s.setEnabledProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
            SSLParameters p = s.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            s.setSSLParameters(p);
            s.startHandshake();
            socket = s;
        } else {
            socket = new Socket("127.0.0.1", Integer.getInteger("floor.plain"));
        }
        OutputStream out = socket.getOutputStream();
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream connect = new ByteArrayOutputStream();
        string(connect, "MQTT");
        connect.write(5);
        connect.write(0x02); // clean start
        connect.write(0);
        connect.write(150); // keepalive
        connect.write(0); // no properties
        string(connect, args[2]);
        out.write(packet(0x10, connect.toByteArray()));
        out.flush();
        Thread reader = new Thread(() -> {
            try {
                byte[] buffer = new byte[4096];
                while (in.read(buffer) >= 0) {
                    // CONNACK and nothing else: read and forgotten
                }
            } catch (IOException ignored) {
                // the end
            }
        }, "reader");
        reader.setDaemon(true);
        reader.start();
        // the agent's shape: one scheduler thread does the periodic work
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        AtomicLong sent = new AtomicLong();
        scheduler.scheduleAtFixedRate(() -> {
            try {
                Health h = new Health("s1", "n1", System.currentTimeMillis(), Map.of("agent", "1.0", "k3s", "v1.30"),
                        List.of("ok"), 0.5);
                byte[] payload = json ? mapper.writeValueAsBytes(h) : h.toString().getBytes(StandardCharsets.UTF_8);
                String back = json ? mapper.readValue(payload, Health.class).node() : h.node();
                ByteArrayOutputStream publish = new ByteArrayOutputStream();
                string(publish, "gk8s/v1/s1/n1/health");
                publish.write(0); // no properties
                publish.writeBytes(payload);
                out.write(packet(0x30, publish.toByteArray()));
                out.flush();
                if (sent.getAndIncrement() == 0) {
                    System.out.println("connected " + back);
                }
            } catch (IOException e) {
                System.err.println("publish failed: " + e);
                System.exit(1);
            }
        }, 0, 30, TimeUnit.SECONDS);
    }

    private static byte[] packet(int type, byte[] body) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(type);
        int length = body.length;
        do {
            int b = length % 128;
            length /= 128;
            o.write(length > 0 ? b | 0x80 : b);
        } while (length > 0);
        o.writeBytes(body);
        return o.toByteArray();
    }

    private static void string(ByteArrayOutputStream o, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        o.write(b.length >> 8);
        o.write(b.length);
        o.writeBytes(b);
    }
}
