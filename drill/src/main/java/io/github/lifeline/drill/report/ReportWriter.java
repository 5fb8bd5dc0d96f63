package io.github.lifeline.drill.report;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a drill's results: {@code drill-report.json}, {@code report.html} (self-contained), {@code drill-table.md}
 * and one {@code timelines/DRIVER-FAULT.svg} per scenario that ran.
 */
public final class ReportWriter {

  /** The JSON report's file name. */
  public static final String JSON = "drill-report.json";
  /** The HTML report's file name. */
  public static final String HTML = "report.html";
  /** The Markdown table's file name. */
  public static final String MARKDOWN = "drill-table.md";

  private ReportWriter() {
  }

  /** A mapper for the report: objects indented, arrays of numbers on one line. */
  public static ObjectMapper mapper() {
    return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  }

  /** Writes every file into {@code dir}, creating it. */
  public static void write(DrillReport report, Path dir) throws IOException {
    Files.createDirectories(dir);
    DefaultPrettyPrinter printer = new DefaultPrettyPrinter()
        .withArrayIndenter(DefaultPrettyPrinter.FixedSpaceIndenter.instance)
        .withObjectIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n"));
    Files.writeString(dir.resolve(JSON), mapper().writer(printer).writeValueAsString(report) + "\n",
        StandardCharsets.UTF_8);
    Files.writeString(dir.resolve(HTML), HtmlReport.render(report), StandardCharsets.UTF_8);
    Files.writeString(dir.resolve(MARKDOWN), Table.markdown(report), StandardCharsets.UTF_8);
    Path svgs = dir.resolve("timelines");
    Files.createDirectories(svgs);
    for (ScenarioResult s : report.scenarios()) {
      if (s.ran()) {
        Files.writeString(svgs.resolve(s.driver() + "-" + s.fault() + ".svg"), SvgTimeline.render(s),
            StandardCharsets.UTF_8);
      }
    }
  }

  /** Reads a {@code drill-report.json}. */
  public static DrillReport read(Path json) throws IOException {
    return mapper().readValue(json.toFile(), DrillReport.class);
  }
}
