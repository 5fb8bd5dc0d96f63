package io.github.lifeline.drill.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lifeline.testkit.Driver;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** Nothing the doctor prints carries a password; driver units are read right. */
class RedactionTest {

  @Test
  void passwordsInUrlsAreHidden() {
    assertThat(Redaction.url("jdbc:postgresql://db:5432/app?user=u&password=s3cret&ssl=true"))
        .isEqualTo("jdbc:postgresql://db:5432/app?user=u&password=***&ssl=true");
    assertThat(Redaction.url("jdbc:mysql://u:s3cret@db:3306/app?sslMode=DISABLED"))
        .isEqualTo("jdbc:mysql://u:***@db:3306/app?sslMode=DISABLED");
    assertThat(Redaction.url("jdbc:mysql://db/app?trustCertificateKeyStorePassword=s3cret"))
        .doesNotContain("s3cret");
    assertThat(Redaction.url("jdbc:postgresql://db/app?sslpassword=s3cret;x=1")).doesNotContain("s3cret");
    assertThat(Redaction.url("jdbc:postgresql://db:5432/app")).isEqualTo("jdbc:postgresql://db:5432/app");
  }

  @Test
  void secretPropertiesAreHidden() {
    assertThat(Redaction.value("password", "s3cret")).isEqualTo("***");
    assertThat(Redaction.value("sslpassword", "s3cret")).isEqualTo("***");
    assertThat(Redaction.value("clientCertificateKeyStorePassword", "s3cret")).isEqualTo("***");
    assertThat(Redaction.value("socketTimeout", "30")).isEqualTo("30");
  }

  @Test
  void socketTimeoutUnitsFollowTheDriver() {
    Properties p = new Properties();
    assertThat(DoctorCommand.socketTimeout(Driver.POSTGRESQL, "jdbc:postgresql://h/db", p)).isNull();
    assertThat(DoctorCommand.socketTimeout(Driver.POSTGRESQL, "jdbc:postgresql://h/db?socketTimeout=30", p))
        .isEqualTo(Duration.ofSeconds(30));
    assertThat(DoctorCommand.socketTimeout(Driver.MYSQL, "jdbc:mysql://h/db?socketTimeout=30000", p))
        .isEqualTo(Duration.ofSeconds(30));
    p.setProperty("socketTimeout", "0");
    assertThat(DoctorCommand.socketTimeout(Driver.POSTGRESQL, "jdbc:postgresql://h/db?socketTimeout=30", p))
        .isEqualTo(Duration.ZERO);
  }
}
