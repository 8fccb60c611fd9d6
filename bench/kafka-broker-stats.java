// A snapshot of a local Kafka broker's request counts and per-thread CPU, as one JSON line on stdout, for
// bench/kafka-profile.ts. Attaches to the broker's JVM (Attach API, same user), starts its local JMX agent (no port)
// and reads: kafka.network RequestMetrics per request type (RequestsPerSec count; LocalTimeMs and TotalTimeMs as
// count x mean), the CPU time of every Java thread by name, the process's CPU time and the collectors' time.
//   java bench/kafka-broker-stats.java <pid>
//   java bench/kafka-broker-stats.java <pid> request-log <seconds>: the broker logs every request it completes
//     (kafka.request.logger at DEBUG, to its log) for <seconds>, then WARN again.
import com.sun.tools.attach.VirtualMachine;
import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.TreeMap;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

public class KafkaBrokerStats {
  public static void main(String[] args) throws Exception {
    VirtualMachine vm = VirtualMachine.attach(args[0]);
    String address;
    try {
      address = vm.startLocalManagementAgent();
    } finally {
      vm.detach();
    }
    try (JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL(address))) {
      MBeanServerConnection c = connector.getMBeanServerConnection();
      if (args.length > 2 && args[1].equals("request-log")) {
        ObjectName log4j = new ObjectName("kafka:type=kafka.Log4jController");
        String[] signature = {"java.lang.String", "java.lang.String"};
        c.invoke(log4j, "setLogLevel", new Object[] {"kafka.request.logger", "DEBUG"}, signature);
        try {
          Thread.sleep((long) (Double.parseDouble(args[2]) * 1000));
        } finally {
          c.invoke(log4j, "setLogLevel", new Object[] {"kafka.request.logger", "WARN"}, signature);
        }
        return;
      }
      StringBuilder out = new StringBuilder();
      out.append("{\"at\":").append(System.currentTimeMillis());
      Map<String, double[]> requests = new TreeMap<>();
      // [count, localMs, totalMs, remoteMs, sendMs, queueMs]
      String[] names = {"RequestsPerSec", "LocalTimeMs", "TotalTimeMs", "RemoteTimeMs", "ResponseSendTimeMs", "RequestQueueTimeMs"};
      for (int i = 0; i < names.length; i++) {
        for (ObjectName n : c.queryNames(new ObjectName("kafka.network:type=RequestMetrics,name=" + names[i] + ",*"), null)) {
          String request = n.getKeyProperty("request");
          double[] row = requests.computeIfAbsent(request, k -> new double[names.length]);
          long count = ((Number) c.getAttribute(n, "Count")).longValue();
          row[i] += i == 0 ? count : count * ((Number) c.getAttribute(n, "Mean")).doubleValue();
        }
      }
      out.append(",\"requests\":{");
      boolean first = true;
      for (Map.Entry<String, double[]> e : requests.entrySet()) {
        double[] r = e.getValue();
        if (!first) out.append(',');
        first = false;
        out.append('"').append(e.getKey()).append("\":{\"count\":").append((long) r[0])
            .append(",\"localMs\":").append(r[1]).append(",\"totalMs\":").append(r[2])
            .append(",\"remoteMs\":").append(r[3]).append(",\"sendMs\":").append(r[4])
            .append(",\"queueMs\":").append(r[5]).append('}');
      }
      out.append('}');
      com.sun.management.ThreadMXBean threads = ManagementFactory.newPlatformMXBeanProxy(
          c, ManagementFactory.THREAD_MXBEAN_NAME, com.sun.management.ThreadMXBean.class);
      long[] ids = threads.getAllThreadIds();
      long[] cpu = threads.getThreadCpuTime(ids);
      java.lang.management.ThreadInfo[] infos = threads.getThreadInfo(ids);
      out.append(",\"threads\":{");
      first = true;
      for (int i = 0; i < ids.length; i++) {
        if (infos[i] == null || cpu[i] < 0) continue;
        if (!first) out.append(',');
        first = false;
        out.append('"').append(ids[i]).append(':').append(infos[i].getThreadName().replace("\\", "\\\\").replace("\"", "\\\""))
            .append("\":").append(cpu[i]);
      }
      out.append('}');
      Object processCpu = c.getAttribute(new ObjectName("java.lang:type=OperatingSystem"), "ProcessCpuTime");
      out.append(",\"processCpuNs\":").append(((Number) processCpu).longValue());
      long gcMs = 0;
      for (ObjectName n : c.queryNames(new ObjectName("java.lang:type=GarbageCollector,*"), null))
        gcMs += ((Number) c.getAttribute(n, "CollectionTime")).longValue();
      out.append(",\"gcPauseMs\":").append(gcMs).append('}');
      System.out.println(out);
    }
  }
}
