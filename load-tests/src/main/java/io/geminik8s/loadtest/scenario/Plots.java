package io.geminik8s.loadtest.scenario;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** One PNG per report: every numeric series of the timeline against {@code t_s}, stacked on a shared time axis. */
final class Plots {

    private Plots() {
    }

    static void write(List<Map<String, Object>> timeline, String title, Path png) throws IOException {
        if (timeline.isEmpty()) {
            return;
        }
        System.setProperty("java.awt.headless", "true");
        CombinedDomainXYPlot plot = new CombinedDomainXYPlot(new NumberAxis("seconds"));
        List<String> keys = new ArrayList<>(timeline.get(0).keySet());
        keys.remove("t_s");
        for (String key : keys) {
            XYSeries series = new XYSeries(key);
            for (Map<String, Object> p : timeline) {
                if (p.get(key) instanceof Number n && p.get("t_s") instanceof Number t) {
                    series.add(t.doubleValue(), n.doubleValue());
                }
            }
            if (series.getItemCount() > 0) {
                XYPlot sub = new XYPlot(new XYSeriesCollection(series), null, new NumberAxis(key),
                        new XYLineAndShapeRenderer(true, true));
                plot.add(sub);
            }
        }
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, false);
        ChartUtils.saveChartAsPNG(png.toFile(), chart, 900, 180 * Math.max(1, plot.getSubplots().size()) + 80);
    }
}
